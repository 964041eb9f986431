"""A stand-in for verl's trainer entry points in launch tests: it reads the Hydra-style
``key=value`` arguments it is given, prints what verl prints while training (the step count,
then a console-logger line a step), saves checkpoints the way verl lays them out (without
weights), and exits with ``fake.exit`` (default 0) after printing ``fake.print`` if given."""

import sys
from pathlib import Path

args = dict(arg.lstrip("+").split("=", 1) for arg in sys.argv[1:] if "=" in arg)
steps = int(args.get("fake.steps", "3"))
root = Path(args["trainer.default_local_dir"])
if "fake.print" in args:
    print(args["fake.print"], file=sys.stderr, flush=True)
print(f"Total training steps: {steps}", flush=True)
for step in range(1, steps + 1):
    print(f"step:{step} - actor/loss:{1 / step:.3f} - data:{args['data.train_files']}",
          flush=True)
    (root / f"global_step_{step}" / "huggingface").mkdir(parents=True, exist_ok=True)
(root / "latest_checkpointed_iteration.txt").write_text(str(steps))
print("training finished", file=sys.stderr, flush=True)
sys.exit(int(args.get("fake.exit", "0")))
