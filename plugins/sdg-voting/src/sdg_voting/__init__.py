"""sdg voters ``exact``, ``semantic`` and ``llm_judge``, and answer comparison."""
