import warnings

import attrs
import pytest

from sdgcore import Task, Voter, hookimpl
from sdgcore.base import KINDS, Backend, Rewriter
from sdgcore.config.schema import CHOICES
from sdgcore.errors import NotBuiltError, PluginError
from sdgcore.hookspecs import hookspec
from sdgcore.plugins import PluginLoadWarning, create_plugin_manager
from sdgcore.plugins.manager import _REGISTER_HOOKS
from sdgcore.testing import components
from sdgcore.testing.components import ListTask


class Twin(ListTask):
    """Another class claiming the name 'list'."""


class TwinPlugin:
    __name__ = "twin"

    @hookimpl
    def sdg_register_tasks(self, register):
        register(Twin)


def test_built_by_a_factory_and_safe_to_build_twice(make_plugin_manager):
    a = make_plugin_manager(components)
    b = make_plugin_manager(components)
    assert a.pm is not b.pm and a.registry is not b.registry
    assert a.registry.get("task", "list").cls is ListTask
    assert b.registry.get("task", "list").cls is ListTask
    assert make_plugin_manager().registry.get("task", "list") is None


def test_core_registers_its_backends_through_the_hook(make_plugin_manager):
    manager = make_plugin_manager()
    assert manager.registry.names("backend") == ["litellm", "llamacpp", "openai_compat", "vllm"]
    assert {e.origin for e in manager.registry.entries()} == {"sdgcore"}


class EchoRewriter(Rewriter):
    """Rewrites nothing."""

    name = "echo"

    async def rewrite(self, ctx, sample, direction):
        return None


class EchoBackend(Backend):
    """Answers nothing."""

    name = "echo"

    async def complete(self, request):
        raise NotImplementedError


class Echoes:
    __name__ = "echoes"

    @hookimpl
    def sdg_register_rewriters(self, register):
        register(EchoRewriter)

    @hookimpl
    def sdg_register_backends(self, register):
        register(EchoBackend)


def test_a_plugins_rewriter_and_backend_register_beside_the_cores(make_plugin_manager):
    registry = make_plugin_manager(Echoes()).registry
    assert registry.get("rewriter", "echo").cls is EchoRewriter
    assert registry.get("backend", "echo").cls is EchoBackend
    assert registry.get("backend", "echo").origin != "sdgcore"
    assert "openai_compat" in registry.names("backend")


def test_duplicate_names_fail_naming_both(make_plugin_manager):
    with pytest.raises(PluginError) as info:
        make_plugin_manager(components, TwinPlugin())
    assert "task 'list' is registered twice" in info.value.message
    assert "sdgcore.testing.components" in info.value.message and "twin" in info.value.message


@pytest.mark.parametrize("cls, message", [
    (type("NoName", (ListTask,), {"name": None}), "needs a `name`"),
    (type("BadName", (ListTask,), {"name": "Bad-Name"}), "needs a `name`"),
    (type("NoAttrs", (ListTask,), {"name": "ok", "Config": dict}), "attrs class"),
    (type("NotATask", (), {"name": "ok"}), "is not a Task"),
])
def test_invalid_classes_are_rejected(make_plugin_manager, cls, message):
    class Plugin:
        @hookimpl
        def sdg_register_tasks(self, register):
            register(cls)

    with pytest.raises(PluginError, match=message):
        make_plugin_manager(Plugin())


def test_a_plugin_that_raises_is_reported_and_the_rest_load(make_plugin_manager):
    class Orphan(ListTask):
        name = "orphan"

    class Broken:
        __name__ = "broken"

        @hookimpl
        def sdg_register_tasks(self, register):
            register(Orphan)
            raise RuntimeError("boom")

    with pytest.warns(PluginLoadWarning, match="broken.*RuntimeError: boom"):
        manager = make_plugin_manager(Broken(), components)
    assert [p.name for p in manager.failures] == ["broken"]
    assert manager.registry.get("task", "list") is not None
    assert manager.registry.get("task", "orphan") is None  # half a registration is undone


class Orphan(ListTask):
    name = "orphan"


class WrongArgument:
    __name__ = "wrong_argument"

    @hookimpl
    def sdg_register_tasks(self, registr):
        registr(Orphan)


class MisspelledHook:
    __name__ = "misspelled"

    @hookimpl
    def sdg_register_task(self, register):
        register(Orphan)


@pytest.mark.parametrize("plugin, reason", [
    (WrongArgument(), "sdg_register_tasks takes registr, which the hook does not pass "
                      "(it passes: register)"),
    (MisspelledHook(), "sdg_register_task is not an sdg hook; did you mean sdg_register_tasks?"),
])
def test_a_hook_that_fits_no_hookspec_skips_its_plugin_with_a_warning(make_plugin_manager,
                                                                      plugin, reason):
    with pytest.warns(PluginLoadWarning) as caught:
        manager = make_plugin_manager(plugin, components)
    name = plugin.__name__
    assert [str(w.message) for w in caught] == [f"plugin {name!r} ({name}) not loaded: {reason}"]
    assert [(p.name, p.error) for p in manager.failures] == [(name, reason)]
    assert manager.pm.get_plugin(name) is None
    assert manager.registry.get("task", "orphan") is None
    assert manager.registry.get("task", "list") is not None  # the other plugins load


@pytest.mark.parametrize("kind, base, field", [
    ("rewriter", Rewriter, "max_rounds"),
    ("backend", Backend, "model"),
    ("task", Task, "type"),
])
def test_a_config_field_named_like_a_shared_key_is_refused(make_plugin_manager, kind, base,
                                                           field):
    assert set(CHOICES) == set(KINDS)
    clashing = type("Clashing", (base,), {
        "name": "clashing",
        "Config": attrs.make_class("ClashConfig", {field: attrs.field(default=None)}),
    })
    fine = type("Fine", (base,), {
        "name": "fine", "Config": attrs.make_class("FineConfig", {"x": attrs.field(default=1)}),
    })

    def register_both(self, register):
        register(clashing)
        register(fine)

    plugin = type("Plugin", (), {"__name__": "clashy",
                                 _REGISTER_HOOKS[kind]: hookimpl(register_both)})()
    with pytest.warns(PluginLoadWarning) as caught:
        manager = make_plugin_manager(plugin, components)
    [message] = [str(w.message) for w in caught]
    assert message.startswith(f"{kind} 'clashing' from clashy is not registered: ClashConfig "
                              f"has a field {field!r} but every {kind} section has that key")
    assert manager.registry.get(kind, "clashing") is None
    assert manager.registry.get(kind, "fine") is not None  # the plugin's other components
    assert manager.registry.get("task", "list") is not None and not manager.failures


def test_blocking_by_env_and_argument(monkeypatch):
    monkeypatch.setenv("SDG_DISABLE_PLUGINS", "voting, sdg-web")
    manager = create_plugin_manager(blocked=["distill"])
    states = {p.name: p.state for p in manager.plugins}
    assert states["voting"] == states["web"] == states["distill"] == "blocked"
    assert states["local"] == "loaded" and states["sdgcore"] == "loaded"
    assert manager.registry.get("voter", "exact") is None
    assert manager.registry.get("task", "local") is not None


def test_every_hookspec_is_documented_and_collected():
    from sdgcore import hookspecs

    specs = [n for n in dir(hookspecs) if n.startswith("sdg_")]
    assert set(_REGISTER_HOOKS.values()) | {"sdg_add_commands", "sdg_run_finished"} == set(specs)
    for name in specs:
        doc = getattr(hookspecs, name).__doc__
        assert doc and "Called" in doc and ":param" in doc and ":return:" in doc, name
    assert hookspec.project_name == "sdg"


def test_planned_components_refuse_to_run(make_plugin_manager):
    @attrs.frozen
    class C:
        pass

    class Later(Voter):
        name = "later"
        Config = C
        status = "planned"

    class Plugin:
        @hookimpl
        def sdg_register_voters(self, register):
            register(Later)

    entry = make_plugin_manager(Plugin()).registry.get("voter", "later")
    with pytest.raises(NotBuiltError, match="voter: voter 'later' from x is not built yet"):
        entry.cls.ensure_built("voter", "x")
    ListTask.ensure_built("task", "x")  # a ready one passes


def test_describe_uses_the_docstring():
    assert ListTask.describe() == "Yields a fixed list of questions as samples (for tests)."
    assert issubclass(ListTask, Task)


def test_warnings_do_not_leak_between_managers(make_plugin_manager):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        make_plugin_manager(components)
