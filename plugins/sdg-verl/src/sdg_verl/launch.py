"""The verl command line for an export, the ``train.sh`` that keeps it, and running it.

Keys are verl 0.9's Hydra config keys: ``tests/test_verl.py`` composes each command line with
verl's own ``sft_trainer_engine.yaml`` and ``ppo_trainer.yaml``, so a key verl does not have
fails there. verl itself is imported only to check that it is installed before a launch.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import attrs

from sdg_verl import reward
from sdg_verl.plugin import SFT_LR, VerlConfig
from sdgcore import SdgError, import_optional, write_atomic

SFT_ENTRYPOINT = "verl.trainer.sft_trainer"
GRPO_ENTRYPOINT = "verl.trainer.main_ppo"


def reward_path() -> Path:
    """The file verl loads the reward function from."""
    return Path(reward.__file__).resolve()


def _optional(pairs: list[tuple[str, object]]) -> list[str]:
    return [f"{key}={value}" for key, value in pairs if value is not None]


def attention(cfg: VerlConfig) -> str:
    """``train.attention``, with ``auto`` decided: ``flash_attention_2`` where this
    interpreter (the one that launches verl) can import ``flash_attn``, else ``sdpa``."""
    if cfg.attention != "auto":
        return cfg.attention
    return "flash_attention_2" if importlib.util.find_spec("flash_attn") else "sdpa"


def _model(cfg: VerlConfig, prefix: str) -> list[str]:
    """The model to train (``PREFIX.path``), its attention kernel and LoRA rank. verl's
    default kernel is flash_attention_2; another one goes in the model's ``override_config``
    and turns off padding removal, which packs sequences only flash-attn keeps apart."""
    kernel = attention(cfg)
    return [
        f"{prefix}.path={cfg.model}",
        *([f"+{prefix}.override_config.attn_implementation={kernel}",
           f"{prefix}.use_remove_padding=False"] if kernel != "flash_attention_2" else []),
        *([f"{prefix}.lora_rank={cfg.lora_rank}"] if cfg.lora_rank else []),
    ]


def _checkpoint(cfg: VerlConfig, key: str) -> list[str]:
    """``KEY.save_contents`` with ``hf_model`` added (``train.save_hf_model``)."""
    return [f"{key}.save_contents=[model,optimizer,extra,hf_model]"] if cfg.save_hf_model else []


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
        *_model(cfg, "model"),
        f"optim.lr={SFT_LR if cfg.lr is None else cfg.lr}",
        *_checkpoint(cfg, "checkpoint"),
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
        *_model(cfg, f"{actor}.model"),
        *_optional([(f"{actor}.actor.optim.lr", cfg.lr)]),
        *_checkpoint(cfg, f"{actor}.actor.checkpoint"),
        f"{actor}.actor.ppo_mini_batch_size={cfg.mini_batch_size or cfg.batch_size}",
        f"{actor}.actor.ppo_micro_batch_size_per_gpu={micro}",
        f"{actor}.rollout.name={cfg.rollout_engine}",
        f"{actor}.rollout.n={cfg.rollout_n}",
        f"{actor}.rollout.log_prob_micro_batch_size_per_gpu={micro}",
        f"{actor}.ref.log_prob_micro_batch_size_per_gpu={micro}",
        f"reward.custom_reward_function.path={reward_path()}",
        "reward.custom_reward_function.name=compute_score",
        *(["algorithm.filter_groups.enable=True",
           f"algorithm.filter_groups.metric={cfg.filter_metric}"]
          if cfg.dynamic_sampling else []),
        *_trainer(cfg, run_dir),
        *cfg.overrides,
    ]


def _trainer(cfg: VerlConfig, run_dir: Path) -> list[str]:
    """The arguments both modes share: epochs, nodes, names, logger, where checkpoints go,
    and where Hydra writes its log and resolved config (``hydra.run.dir``: under the run, not
    an ``outputs/`` folder in the working directory)."""
    return [
        f"trainer.total_epochs={cfg.epochs}",
        f"trainer.nnodes={cfg.nnodes}",
        f"trainer.n_gpus_per_node={cfg.nproc_per_node}",
        f"trainer.project_name={cfg.project_name}",
        f"trainer.experiment_name={cfg.experiment_name or run_dir.name}",
        _logger(cfg),
        f"trainer.default_local_dir={run_dir / cfg.output / 'checkpoints'}",
        f"hydra.run.dir={run_dir / cfg.output / 'hydra'}",
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


STEP = re.compile(r"\bstep:\s*(\d+)\b")
"""verl's console logger prints ``step:N - metric:value - ...`` after each training step."""
TOTAL = re.compile(r"total (?:training )?steps\W*(\d+)", re.IGNORECASE)
"""verl prints ``Total training steps: N`` when it starts."""


@attrs.frozen
class Trained:
    """What a launch did (kept in ``train.json``).

    :param exit_code: the trainer's exit code.
    :param steps: the last training step seen in its output, or None.
    :param total_steps: the number of steps it announced, or None.
    :param checkpoint: the newest checkpoint directory it saved, or None.
    :param model: that checkpoint as a Hugging Face model (its ``huggingface`` directory,
        when it holds the weights: ``train.save_hf_model``), or None.
    :param log: the file its whole output went to.
    :param seconds: how long it ran.
    """

    exit_code: int
    steps: int | None
    total_steps: int | None
    checkpoint: Path | None
    model: Path | None
    log: Path
    seconds: float


def latest_checkpoint(root: Path) -> Path | None:
    """The newest ``global_step_N`` directory under ``root`` (verl's
    ``trainer.default_local_dir``): the one ``latest_checkpointed_iteration.txt`` names,
    else the highest N; None when there is none."""
    marker = root / "latest_checkpointed_iteration.txt"
    if marker.is_file():
        named = root / f"global_step_{marker.read_text().strip()}"
        if named.is_dir():
            return named
    steps = [(int(p.name.rpartition("_")[2]), p) for p in root.glob("global_step_*")
             if p.is_dir() and p.name.rpartition("_")[2].isdigit()]
    return max(steps)[1] if steps else None


MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
NO_FLASH_ATTENTION = "FlashAttention2 has been toggled on, but it cannot be used"
ROLLOUT_ENGINES = ("vllm", "sglang")


def diagnose(log: Path) -> str | None:
    """What to do about a failed launch, from the end of its log: a module verl's trainer
    imports that is not installed, or flash-attn missing for verl's default attention kernel;
    None when the log names neither."""
    try:
        with log.open("rb") as f:  # a long training's log can be large: read its end only
            f.seek(max(0, f.seek(0, 2) - 20_000))
            tail = f.read().decode("utf-8", errors="replace")
    except OSError:
        return None
    if NO_FLASH_ATTENTION in tail:
        return ("verl's default attention kernel needs flash-attn: install it (pip install "
                "flash-attn), or set train.attention: sdpa")
    if missing := MISSING_MODULE.findall(tail):
        module = missing[-1].split(".")[0]  # the traceback's own error comes last
        if module in ROLLOUT_ENGINES:
            return (f"GRPO's rollout engine {module!r} is not installed: pip install "
                    f"'verl[{module}]' (or set train.rollout_engine)")
        return (f"verl's trainer imports {module!r}, which is not installed: pip install "
                "'sdg-verl[verl]' installs verl with what its trainers import (verl[verl-core])")
    return None


def hf_model(checkpoint: Path | None) -> Path | None:
    """``checkpoint/huggingface`` when it holds a model's weights (verl writes the config and
    tokenizer there in any case, the weights only with ``hf_model`` in ``save_contents``)."""
    if checkpoint is None:
        return None
    folder = checkpoint / "huggingface"
    weights = [*folder.glob("*.safetensors"), *folder.glob("pytorch_model*.bin")]
    return folder if weights else None


def _executable(name: str) -> str:
    """``python`` is this interpreter; ``torchrun`` the one installed beside it (a venv
    need not be activated), else the one on PATH."""
    if name == "python":
        return sys.executable
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.is_file() else name


def launch(argv: list[str], out_dir: Path, echo: Callable[[str], None]) -> Trained:
    """Run ``argv``: its output goes to ``echo`` line by line and to ``out_dir/train.log``,
    with a progress line (``[sdg train] step 3/40, 0:01:12``) each time a step ends. The
    result, with the newest checkpoint under ``out_dir/checkpoints``, is written to
    ``out_dir/train.json``. Ctrl-C stops the trainer (its checkpoints stay).

    :raises MissingExtraError: verl is not installed (``pip install 'sdg-verl[verl]'``).
    :raises SdgError: the command cannot be started.
    """
    import_optional("verl", extra="sdg-verl[verl]", feature="sdg train")
    argv = [_executable(argv[0]), *argv[1:]]
    log_path = out_dir / "train.log"
    started = time.monotonic()
    step = total = None
    try:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", bufsize=1)
    except FileNotFoundError as exc:
        raise SdgError(f"sdg train: cannot start {argv[0]!r} ({exc.strerror})",
                       hint="install verl's launcher (torchrun comes with torch)") from None
    with proc, log_path.open("w", encoding="utf-8") as log:
        try:
            for line in proc.stdout:  # type: ignore[union-attr]
                log.write(line)
                log.flush()
                echo(line.rstrip("\n"))
                if total is None and (found := TOTAL.search(line)):
                    total = int(found.group(1))
                if (found := STEP.search(line)) and int(found.group(1)) != step:
                    step = int(found.group(1))
                    spent = timedelta(seconds=round(time.monotonic() - started))
                    echo(f"[sdg train] step {step}/{total or '?'}, {spent}")
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
            raise
    checkpoint = latest_checkpoint(out_dir / "checkpoints")
    trained = Trained(code, step, total, checkpoint, hf_model(checkpoint), log_path,
                      round(time.monotonic() - started, 3))
    record = {**attrs.asdict(trained), "argv": argv}
    write_atomic(out_dir / "train.json", json.dumps(record, indent=2, default=str) + "\n")
    return trained
