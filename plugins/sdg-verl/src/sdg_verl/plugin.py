"""Registers the ``verl`` trainer and the ``sdg train`` command."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import attrs

from sdgcore import Category, ConfigError, RunContext, SdgError, Trainer, hookimpl

if TYPE_CHECKING:
    import click

    from sdg_verl.handoff import Prepared

DEFAULT_CATEGORIES: dict[str, list[Category]] = {
    "sft": ["learnable", "too_hard"],
    "grpo": ["learnable"],
}
"""What each mode trains on when ``categories`` is not given: GRPO learns only where the
student's pass rate leaves a signal (``learnable``); SFT imitates the teacher's references
where the student is not yet reliable (``learnable`` and ``too_hard``)."""


def _band(instance: object, attribute: attrs.Attribute, value: list[float] | None) -> None:
    if value is None:
        return
    if len(value) != 2 or not 0.0 <= value[0] <= value[1] <= 1.0:
        raise ValueError(f"band must be [lo, hi] with 0 <= lo <= hi <= 1, got {value!r}")


@attrs.frozen
class Select:
    """``train.select``: which samples of the chosen categories go in.

    :param band: ``[lo, hi]``: keep samples whose pass rate is in it (both ends included).
    """

    band: list[float] | None = attrs.field(default=None, validator=_band)


_ge1 = attrs.validators.ge(1)

SFT_LR = 1e-5
"""SFT's learning rate when ``train.lr`` is not set."""


@attrs.frozen
class VerlConfig:
    """``train:`` for ``type: verl``.

    :param mode: ``sft`` or ``grpo``.
    :param model: the model to train (a Hugging Face id or a local path).
    :param categories: which exported categories to train on; default: ``learnable`` and
        ``too_hard`` for ``sft``, ``learnable`` for ``grpo``.
    :param output: where the verl parquet files and launch script go (in the run dir).
    :param val_fraction: the share of samples held out for validation.
    :param stratify: split each category apart, so both splits hold each category's share.
    :param select: keep only samples whose pass rate is in ``select.band``.
    :param weight: ``learnability``: repeat training rows in proportion to p(1-p).
    :param max_repeats: the most times a row is repeated under ``weight: learnability``.
    :param system_prompt: a system message put before each prompt.
    :param ability: the ``ability`` column (GRPO); default: the sample's task name.
    :param format_reward: the reward for a wrong answer given in the answer tag (GRPO).
    :param nproc_per_node: GPUs per node.
    :param nnodes: nodes.
    :param epochs: training epochs (``trainer.total_epochs``).
    :param lr: the learning rate; None: 1e-5 for ``sft`` (verl's own SFT default, 1e-3, makes
        an instruct model's loss climb), verl's default (1e-6) for ``grpo``.
    :param batch_size: the global batch size (``data.train_batch_size``).
    :param micro_batch_size: the per-GPU micro batch size.
    :param mini_batch_size: GRPO's PPO mini batch size; None: ``batch_size``.
    :param max_length: SFT's longest sequence in tokens; None: verl's default.
    :param max_prompt_length: GRPO's longest prompt in tokens; None: verl's default.
    :param max_response_length: GRPO's longest response in tokens; None: verl's default.
    :param rollout_n: GRPO responses per prompt (the group size).
    :param rollout_engine: GRPO's rollout engine (``vllm`` or ``sglang``).
    :param lora_rank: LoRA rank; 0 trains every weight.
    :param dynamic_sampling: DAPO's dynamic sampling (``algorithm.filter_groups``): groups
        whose responses all get the same reward are dropped and more prompts are sampled;
        verl 0.9's ``main_ppo`` (its default v1 trainer) reads it.
    :param filter_metric: what dynamic sampling compares within a group: ``reward`` (the
        reward function's score) or a key of the reward's extra info.
    :param attention: the attention kernel training uses (``attn_implementation``):
        ``flash_attention_2`` (verl's default: needs the ``flash-attn`` package), ``sdpa`` or
        ``eager`` (these turn off verl's padding removal, which needs flash-attn); ``auto``:
        ``flash_attention_2`` where ``flash_attn`` is importable, else ``sdpa``.
    :param save_hf_model: verl also saves each checkpoint as a Hugging Face model
        (``global_step_N/huggingface``: what ``sdg eval`` and vLLM load); without it a
        checkpoint holds verl's sharded state only.
    :param entrypoint: the Python module run; default: ``verl.trainer.sft_trainer`` (sft),
        ``verl.trainer.main_ppo`` (grpo).
    :param project_name: ``trainer.project_name``.
    :param experiment_name: ``trainer.experiment_name``; default: the run directory's name.
    :param logger: ``trainer.logger``.
    :param overrides: further Hydra overrides, appended as given (``key=value``).
    """

    mode: Literal["sft", "grpo"] = "sft"
    model: str | None = None
    categories: list[Literal["learnable", "too_easy", "too_hard"]] | None = None
    output: Path = Path("verl")
    val_fraction: float = attrs.field(default=0.1, validator=[attrs.validators.ge(0.0),
                                                              attrs.validators.lt(1.0)])
    stratify: bool = True
    select: Select = Select()
    weight: Literal["none", "learnability"] = "none"
    max_repeats: int = attrs.field(default=4, validator=_ge1)
    system_prompt: str | None = None
    ability: str | None = None
    format_reward: float = attrs.field(default=0.0, validator=[attrs.validators.ge(0.0),
                                                               attrs.validators.le(1.0)])
    nproc_per_node: int = attrs.field(default=1, validator=_ge1)
    nnodes: int = attrs.field(default=1, validator=_ge1)
    epochs: int = attrs.field(default=1, validator=_ge1)
    lr: float | None = None
    batch_size: int = attrs.field(default=32, validator=_ge1)
    micro_batch_size: int = attrs.field(default=4, validator=_ge1)
    mini_batch_size: int | None = None
    max_length: int | None = None
    max_prompt_length: int | None = None
    max_response_length: int | None = None
    rollout_n: int = attrs.field(default=8, validator=_ge1)
    rollout_engine: str = "vllm"
    lora_rank: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    dynamic_sampling: bool = False
    filter_metric: str = "reward"
    attention: Literal["auto", "flash_attention_2", "sdpa", "eager"] = "auto"
    save_hf_model: bool = True
    entrypoint: str | None = None
    project_name: str = "sdg"
    experiment_name: str | None = None
    logger: list[str] = attrs.field(factory=lambda: ["console"])
    overrides: list[str] = attrs.field(factory=list)

    def chosen_categories(self) -> list[Category]:
        """``categories``, or the mode's default (:data:`DEFAULT_CATEGORIES`)."""
        return list(self.categories or DEFAULT_CATEGORIES[self.mode])


class VerlTrainer(Trainer):
    """Parquet export, reward function and launch for verl SFT / GRPO (``sdg train``,
    ``sdg run --train``)."""

    name = "verl"
    Config = VerlConfig
    config: VerlConfig
    _prepared: Prepared | None = None

    def check(self) -> None:
        """``train.model`` must be set."""
        if not self.config.model:
            raise ConfigError([("train.model", "not set: the model to train (a Hugging Face "
                                               "id or a local path)")])

    def export(self, ctx: RunContext, datasets: Mapping[str, Path]) -> Path:
        """Write the parquet files, ``export.json`` and ``train.sh`` under
        ``RUN_DIR/<train.output>`` and return that directory."""
        import click
        import yaml

        from sdg_verl import handoff

        self.check()
        resolved = yaml.safe_load((ctx.run_dir / "config.yaml").read_text(encoding="utf-8"))
        self._prepared = handoff.prepare(ctx.run_dir, self.config, resolved, datasets)
        for warning in self._prepared.warnings:
            click.echo(f"warning: {warning}", err=True)
        for line in self._prepared.summary(self.config.mode):
            click.echo(line)
        return self._prepared.out_dir

    def train(self, ctx: RunContext, data: Path) -> None:
        """Launch verl on what :meth:`export` wrote to ``data``; its output streams to the
        terminal and ``data/train.log``, the newest checkpoint goes in ``data/train.json``."""
        import click

        from sdg_verl import handoff

        prepared = self._prepared
        if prepared is None or prepared.out_dir != data:
            raise SdgError(f"verl: {data} was not exported by this trainer; call export first")
        handoff.train(prepared, click.echo)


@hookimpl
def sdg_register_trainers(register: Callable[[type[Trainer]], None]) -> None:
    register(VerlTrainer)


@hookimpl
def sdg_add_commands(cli: click.Group) -> None:
    from sdg_verl.command import eval_command, train

    cli.add_command(train)
    cli.add_command(eval_command)
