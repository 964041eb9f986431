"""Plugin discovery through real entry points of packages pip installs during the test."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from sdgcore.testing.server import FakeOpenAIServer, Reply, Script

SDG = str(Path(sys.executable).with_name("sdg"))

ECHO_PLUGIN = '''
import attrs
from sdgcore import Sample, Source, Task, hookimpl


@attrs.frozen
class EchoConfig:
    prefix: str
    count: int = 3


class EchoTask(Task):
    """Numbered questions from a prefix (a third-party test task)."""

    name = "echo"
    Config = EchoConfig

    async def prepare(self, ctx):
        (ctx.workdir("task", self.name) / "prepared").write_text("yes")

    async def generate(self, ctx):
        for i in range(self.config.count):
            yield Sample(task=self.name, question=f"{self.config.prefix} {i}",
                         source=Source(kind="echo", locator={"i": i}))


@hookimpl
def sdg_register_tasks(register):
    register(EchoTask)
'''

CLASH_PLUGIN = '''
import attrs
from sdgcore import Task, hookimpl


class Distill(Task):
    """A second task named distill."""

    name = "distill"

    async def generate(self, ctx):
        return
        yield


@hookimpl
def sdg_register_tasks(register):
    register(Distill)
'''

WRONG_ARGUMENT_PLUGIN = '''
from sdgcore import hookimpl
from sdgcore.testing.components import ListTask


class Stray(ListTask):
    name = "stray"


@hookimpl
def sdg_register_tasks(registr):
    registr(Stray)
'''

BROKEN_COMMANDS_PLUGIN = '''
import click
from sdgcore import hookimpl
from sdgcore.testing.components import ListTask


class Kept(ListTask):
    name = "kept"


@hookimpl
def sdg_register_tasks(register):
    register(Kept)


@hookimpl
def sdg_add_commands(cli):
    @click.command()
    def half():
        """Added before the hook fails."""

    cli.add_command(half)
    raise RuntimeError("no commands today")
'''

HELLO_PLUGIN = '''
import click
from sdgcore import Task, hookimpl


class Distill(Task):
    """A second task named distill: registering it fails."""

    name = "distill"

    async def generate(self, ctx):
        return
        yield


@hookimpl
def sdg_register_tasks(register):
    register(Distill)


@hookimpl
def sdg_add_commands(cli):
    @click.command()
    def hello():
        """Say hello."""
        click.echo("hello from a plugin")

    cli.add_command(hello)
'''


def install(root: Path, dist: str, module: str, source: str) -> Path:
    project = root / dist
    (project / module).mkdir(parents=True)
    (project / module / "__init__.py").write_text(textwrap.dedent(source))
    (project / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "{dist}"
        version = "1.2.3"

        [project.entry-points.sdg]
        {module} = "{module}"

        [tool.hatch.build.targets.wheel]
        packages = ["{module}"]
    """))
    target = root / f"site-{dist}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--no-build-isolation", "--target", str(target), str(project)],
        check=True, capture_output=True, text=True,
    )
    return target


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    root = tmp_path_factory.mktemp("plugins")
    return {
        "echo": install(root, "sdg-echo-test", "sdg_echo_test", ECHO_PLUGIN),
        "broken": install(root, "sdg-broken-test", "sdg_broken_test",
                          "import a_module_that_does_not_exist\n"),
        "clash": install(root, "sdg-clash-test", "sdg_clash_test", CLASH_PLUGIN),
        "wrong_argument": install(root, "sdg-wrong-argument-test", "sdg_wrong_argument_test",
                                  WRONG_ARGUMENT_PLUGIN),
        "broken_commands": install(root, "sdg-broken-commands-test", "sdg_broken_commands_test",
                                   BROKEN_COMMANDS_PLUGIN),
        "hello": install(root, "sdg-hello-test", "sdg_hello_test", HELLO_PLUGIN),
    }


def sdg(args, site, cwd, env_extra=None):
    import os

    env = {k: v for k, v in os.environ.items() if k != "SDG_DISABLE_PLUGINS"}
    env.update({"PYTHONPATH": str(site), **(env_extra or {})})
    return subprocess.run([SDG, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_third_party_task_is_discovered_and_run(sites, tmp_path):
    listed = sdg(["plugins", "--json"], sites["echo"], tmp_path)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert {"name": "echo", "kind": "task", "distribution": "sdg-echo-test",
            "version": "1.2.3", "status": "ready"} in data["components"]

    config = tmp_path / "echo.yaml"
    with FakeOpenAIServer(Script.respond(lambda r: [Reply("<answer>1</answer>")] * r.n)) as server:
        remote = {"backend": "openai_compat", "api_base": server.url, "model": "m"}
        config.write_text(yaml.safe_dump({
            "task": {"type": "echo", "prefix": "Question"},
            "models": {"teacher": remote, "student": remote, "judge": remote},
            "voter": {"type": "exact", "k": 1, "min_valid": 1},
            "solve": {"n": 1},
            "rewrite": {"type": "difficulty", "max_rounds": 0},
            "run": {"dir": "out"},
        }))
        result = sdg(["run", str(config)], sites["echo"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    lines = (out / "too_easy.jsonl").read_text().splitlines()
    assert [json.loads(line)["question"] for line in lines] == [
        "Question 0", "Question 1", "Question 2"]
    assert (out / "task-echo" / "prepared").read_text() == "yes"
    assert "too_easy" in result.stdout


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_load(sites, tmp_path):
    result = sdg(["plugins", "--json"], sites["broken"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: plugin 'sdg_broken_test' (sdg-broken-test) could not be imported" \
        in result.stderr
    assert "No module named 'a_module_that_does_not_exist'" in result.stderr
    data = json.loads(result.stdout)
    states = {p["name"]: p["state"] for p in data["plugins"]}
    assert states["sdg_broken_test"] == "failed"
    assert states["voting"] == states["local"] == "loaded"


def test_a_hook_with_a_wrong_argument_skips_the_plugin_and_every_command_works(sites, tmp_path):
    expected = ("warning: plugin 'sdg_wrong_argument_test' (sdg-wrong-argument-test) not "
                "loaded: sdg_register_tasks takes registr, which the hook does not pass "
                "(it passes: register)")
    for args in (["--help"], ["plugins", "--help"], ["plugins", "--json"]):
        result = sdg(args, sites["wrong_argument"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert [line for line in result.stderr.splitlines() if "wrong-argument" in line] \
            == [expected]
    data = json.loads(result.stdout)
    states = {p["name"]: p["state"] for p in data["plugins"]}
    assert states["sdg_wrong_argument_test"] == "failed"
    assert states["voting"] == states["local"] == "loaded"
    assert "stray" not in {c["name"] for c in data["components"]}


def test_a_command_hook_that_raises_leaves_out_its_commands_and_every_command_works(
        sites, tmp_path):
    expected = ("warning: plugin 'sdg_broken_commands_test' (sdg-broken-commands-test): "
                "sdg_add_commands raised RuntimeError: no commands today; its commands are "
                "left out")
    site = sites["broken_commands"]
    for args in (["--help"], ["init", "new.yaml"], ["plugins", "--json"], ["plugins", "--help"]):
        result = sdg(args, site, tmp_path)
        assert result.returncode == 0, result.stderr
        assert [line for line in result.stderr.splitlines() if "broken-commands" in line] \
            == [expected]
        assert "internal error" not in result.stderr
    assert (tmp_path / "new.yaml").is_file()
    data = json.loads(sdg(["plugins", "--json"], site, tmp_path).stdout)
    states = {p["name"]: p["state"] for p in data["plugins"]}
    assert states["sdg_broken_commands_test"] == states["voting"] == "loaded"
    assert "kept" in {c["name"] for c in data["components"]}  # only its commands are left out
    assert "half" not in sdg(["--help"], site, tmp_path).stdout
    missing = sdg(["half"], site, tmp_path)
    assert missing.returncode == 2 and "No such command 'half'" in missing.stderr


def test_help_and_plugin_commands_run_no_registration_hook(sites, tmp_path):
    """``sdg --help`` lists a plugin's commands, and they run, though its registrations
    clash: only the commands that need the registry fail on that."""
    help_text = sdg(["--help"], sites["hello"], tmp_path)
    assert help_text.returncode == 0, help_text.stderr
    assert "hello" in help_text.stdout and "Say hello." in help_text.stdout
    assert help_text.stderr == ""
    hello = sdg(["hello"], sites["hello"], tmp_path)
    assert (hello.returncode, hello.stdout, hello.stderr) == (0, "hello from a plugin\n", "")
    assert sdg(["init", "new.yaml"], sites["hello"], tmp_path).returncode == 0
    listed = sdg(["plugins"], sites["hello"], tmp_path)
    assert listed.returncode == 1
    assert "task 'distill' is registered twice: by sdg-distill and by sdg-hello-test" \
        in listed.stderr


def test_duplicate_names_fail_naming_both_distributions(sites, tmp_path):
    result = sdg(["plugins"], sites["clash"], tmp_path)
    assert result.returncode == 1
    assert "task 'distill' is registered twice: by sdg-distill and by sdg-clash-test" \
        in result.stderr
    assert "Traceback" not in result.stderr
    for args, env in ((["-p", "no:sdg_clash_test", "plugins"], None),
                      (["plugins"], {"SDG_DISABLE_PLUGINS": "sdg-distill"})):
        unblocked = sdg(args, sites["clash"], tmp_path, env)
        assert unblocked.returncode == 0, unblocked.stderr


def test_unexpected_errors_are_one_line_unless_debug(sites, tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("task: {type: echo, prefix: p}\nrun: {dir: /proc/forbidden/run}\n")
    result = sdg(["run", str(config)], sites["echo"], tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert "--debug" in result.stderr
    debug = sdg(["--debug", "run", str(config)], sites["echo"], tmp_path)
    assert debug.returncode == 1 and "Traceback" in debug.stderr
