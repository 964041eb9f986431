"""sdg trainer ``verl``: SFT and GRPO hand-off."""
