"""The verl command line for an export, the ``train.sh`` that keeps it, and running it.

Keys are verl's Hydra config keys (checked against ``verl/trainer/config/sft_trainer_engine.yaml``
and ``ppo_trainer.yaml``; see docs/training.md). verl itself is imported only to check that it
is installed before a real launch.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from sdg_verl import reward
from sdg_verl.plugin import VerlConfig
from sdgcore import SdgError, import_optional, write_atomic

SFT_ENTRYPOINT = "verl.trainer.sft_trainer"
GRPO_ENTRYPOINT = "verl.trainer.main_ppo"


def reward_path() -> Path:
    """The file verl loads the reward function from."""
    return Path(reward.__file__).resolve()


def _optional(pairs: list[tuple[str, object]]) -> list[str]:
    return [f"{key}={value}" for key, value in pairs if value is not None]


def _logger(cfg: VerlConfig) -> str:
    return "trainer.logger=[" + ",".join(f'"{name}"' for name in cfg.logger) + "]"


def sft_command(cfg: VerlConfig, files: dict[str, Path], run_dir: Path) -> list[str]:
    """``torchrun ... -m verl.trainer.sft_trainer`` with the export's files."""
    nodes = (["--standalone", "--nnodes=1"] if cfg.nnodes == 1 else [f"--nnodes={cfg.nnodes}"])
    return [
        "torchrun", *nodes, f"--nproc_per_node={cfg.nproc_per_node}",
        "-m", cfg.entrypoint or SFT_ENTRYPOINT,
        f"data.train_files={files['train']}",
        f"data.val_files={files['val']}",
        "data.messages_key=messages",
        f"data.train_batch_size={cfg.batch_size}",
        f"data.micro_batch_size_per_gpu={cfg.micro_batch_size}",
        *_optional([("data.max_length", cfg.max_length)]),
        "engine=fsdp",
        f"model.path={cfg.model}",
        *([f"model.lora_rank={cfg.lora_rank}"] if cfg.lora_rank else []),
        *_optional([("optim.lr", cfg.lr)]),
        *_trainer(cfg, run_dir),
        *cfg.overrides,
    ]


def grpo_command(cfg: VerlConfig, files: dict[str, Path], run_dir: Path) -> list[str]:
    """``python -m verl.trainer.main_ppo algorithm.adv_estimator=grpo ...``."""
    micro = cfg.micro_batch_size
    actor = "actor_rollout_ref"
    return [
        "python", "-m", cfg.entrypoint or GRPO_ENTRYPOINT,
        "algorithm.adv_estimator=grpo",
        f"data.train_files={files['train']}",
        f"data.val_files={files['val']}",
        "data.prompt_key=prompt",
        f"data.train_batch_size={cfg.batch_size}",
        *_optional([("data.max_prompt_length", cfg.max_prompt_length),
                    ("data.max_response_length", cfg.max_response_length)]),
        f"{actor}.model.path={cfg.model}",
        *([f"{actor}.model.lora_rank={cfg.lora_rank}"] if cfg.lora_rank else []),
        *_optional([(f"{actor}.actor.optim.lr", cfg.lr)]),
        f"{actor}.actor.ppo_mini_batch_size={cfg.mini_batch_size or cfg.batch_size}",
        f"{actor}.actor.ppo_micro_batch_size_per_gpu={micro}",
        f"{actor}.rollout.name={cfg.rollout_engine}",
        f"{actor}.rollout.n={cfg.rollout_n}",
        f"{actor}.rollout.log_prob_micro_batch_size_per_gpu={micro}",
        f"{actor}.ref.log_prob_micro_batch_size_per_gpu={micro}",
        f"reward.custom_reward_function.path={reward_path()}",
        "reward.custom_reward_function.name=compute_score",
        *(["++algorithm.filter_groups.enable=True",
           f"++algorithm.filter_groups.metric={cfg.filter_metric}"]
          if cfg.dynamic_sampling else []),
        *_trainer(cfg, run_dir),
        *cfg.overrides,
    ]


def _trainer(cfg: VerlConfig, run_dir: Path) -> list[str]:
    """The ``trainer.*`` arguments both modes share: epochs, nodes, names, logger, where
    checkpoints go."""
    return [
        f"trainer.total_epochs={cfg.epochs}",
        f"trainer.nnodes={cfg.nnodes}",
        f"trainer.n_gpus_per_node={cfg.nproc_per_node}",
        f"trainer.project_name={cfg.project_name}",
        f"trainer.experiment_name={cfg.experiment_name or run_dir.name}",
        _logger(cfg),
        f"trainer.default_local_dir={run_dir / cfg.output / 'checkpoints'}",
    ]


def command(cfg: VerlConfig, files: dict[str, Path], run_dir: Path) -> list[str]:
    """The command line for ``cfg.mode``."""
    build = sft_command if cfg.mode == "sft" else grpo_command
    return build(cfg, files, run_dir)


def script(argv: list[str]) -> str:
    """``train.sh``: the command, one argument a line."""
    args = [shlex.quote(arg) for arg in argv]
    body, head = [], []
    for arg in args:  # keep the launcher and its own flags on the first line
        (body if body or "=" in arg and not arg.startswith("--") else head).append(arg)
    lines = [" ".join(head), *("  " + arg for arg in body)]
    return "#!/usr/bin/env bash\nset -euo pipefail\n" + " \\\n".join(lines) + "\n"


def write_script(path: Path, argv: list[str]) -> None:
    """Write ``train.sh`` (executable)."""
    write_atomic(path, script(argv))
    path.chmod(path.stat().st_mode | 0o111)


def launch(argv: list[str]) -> int:
    """Run ``argv`` with its output streamed to this terminal; return its exit code.

    :raises MissingExtraError: verl is not installed (``pip install 'sdg-verl[verl]'``).
    """
    import_optional("verl", extra="sdg-verl[verl]", feature="sdg train")
    if argv[0] == "python":
        argv = [sys.executable, *argv[1:]]
    try:
        return subprocess.run(argv, check=False).returncode
    except FileNotFoundError as exc:
        raise SdgError(f"sdg train: cannot start {argv[0]!r} ({exc.strerror})",
                       hint="install verl's launcher (torchrun comes with torch)") from None
