"""The ``sdg`` group: global options, the plugin manager, plugin commands, error handling.

The plugin manager is built on first need for each invocation (never at import) and kept on
the click context as ``ctx.obj``; a test may pass its own with ``CliRunner.invoke(cli, args,
obj=manager)``. Plugin commands are collected into a per-invocation group, so the module-level
:data:`cli` is never changed by them.

Listing the commands (``sdg --help``, and finding the one to run) imports the plugins and calls
only their ``sdg_add_commands`` hooks; the registration hooks run when a command first asks
for the registry. A plugin that fails in either is one ``warning:`` line, never the end of the
command: its commands, or its components, are left out and the rest work.
"""

from __future__ import annotations

import contextlib
import importlib
import warnings
from collections.abc import Iterator

import click

from sdgcore.cli.output import report_error, warn
from sdgcore.errors import SdgError
from sdgcore.plugins import SdgPluginManager, create_plugin_manager


def manager_from(ctx: click.Context, *, collect: bool = True) -> SdgPluginManager:
    """The invocation's plugin manager, built from ``-p`` options on first use.

    :param collect: have the registry collected (every command that reads configs or lists
        components); False for what needs only the plugins' commands.
    """
    root = ctx.find_root()
    if not isinstance(root.obj, SdgPluginManager):
        opts = root.params.get("plugin_opts") or ()
        blocked = [o[3:] for o in opts if o.startswith("no:")]
        try:
            extra = [importlib.import_module(o) for o in opts if not o.startswith("no:")]
        except ImportError as exc:
            raise SdgError(f"-p {exc.name}: cannot import plugin module ({exc})") from None
        with warnings_shown():
            root.obj = create_plugin_manager(blocked=blocked, plugins=extra, collect=False)
    if collect:
        with warnings_shown():
            root.obj.collect()
    return root.obj


@contextlib.contextmanager
def warnings_shown() -> Iterator[None]:
    """Show each warning raised in the block as one ``warning:`` line on stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for w in caught:
                warn(str(w.message))


class SdgGroup(click.Group):
    """A group that adds plugin commands and turns :class:`SdgError` into an exit code."""

    def _all_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        cached = ctx.meta.get("sdg.commands")
        if cached is None:
            group = click.Group(commands=dict(self.commands))
            try:
                manager = manager_from(ctx, collect=False)
                with warnings_shown():
                    manager.add_commands(group)
            except SdgError as err:
                _fail(ctx, err)
            cached = ctx.meta["sdg.commands"] = group.commands
        return cached

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self._all_commands(ctx))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._all_commands(ctx).get(cmd_name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SdgError as err:
            if ctx.params.get("debug"):
                raise
            _fail(ctx, err)
        except KeyboardInterrupt:
            warn("interrupted")
            ctx.exit(130)


def _fail(ctx: click.Context, err: SdgError) -> None:
    report_error(err)
    ctx.exit(err.exit_code)


@click.group(cls=SdgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sdgcore", prog_name="sdg")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.option(
    "-p", "plugin_opts", multiple=True, metavar="no:NAME|MODULE",
    help="Block a plugin (no:NAME, by plugin or distribution name), or load MODULE as one. "
    "Repeatable; SDG_DISABLE_PLUGINS=a,b blocks too.",
)
def cli(debug: bool, plugin_opts: tuple[str, ...]) -> None:
    """sdg makes difficulty-calibrated training data for LLM fine-tuning.

    It generates samples (from documents, Hugging Face datasets or a teacher model), labels
    them by majority vote, scores a student on them, rewrites those that are too easy or too
    hard, and exports learnable / too_easy / too_hard datasets.
    """


def main() -> None:
    """The console-script entry point; unexpected errors become one line unless --debug."""
    try:
        cli.main(prog_name="sdg")
    except Exception as exc:
        import sys

        if "--debug" in sys.argv:
            raise
        report_error(SdgError(f"internal error: {type(exc).__name__}: {exc}",
                              hint="rerun with --debug for the traceback, and report it"))
        sys.exit(1)
