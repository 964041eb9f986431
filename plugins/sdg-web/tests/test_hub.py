"""The fake Hub answers the real libraries, and the task's Hub calls retry what may pass."""

import pytest

from sdg_web.config import WebConfig
from sdg_web.hub import Hub, HubError, retry_hint
from sdg_web.rows import DatasetRef, configs, read_rows, splits
from sdg_web.testing import FakeHub, dataset_repo, pointed_at


def hub_for(**extra):
    sleeps = []
    hub = Hub(WebConfig(query="x", hub_backoff=0.01, **extra), sleep=sleeps.append)
    return hub, sleeps


def test_the_libraries_read_the_fake_hub_with_no_other_host(on_fake_hub, tmp_path):
    hub, _ = hub_for()
    qa = DatasetRef("acme/arith-qa")
    assert configs(hub, qa) == ["default"]
    assert splits(hub, qa, "default") == ["train", "test"]
    rows = read_rows(hub, qa, "default", "train", 3)
    assert rows[0] == {"problem": "What is 1 + 40?", "solution": "We add 1 and 40.\n#### 41"}
    assert len(rows) == 3
    facts = read_rows(hub, DatasetRef("acme/arith-facts"), None, "train", 2)
    assert facts[1] == {"text": "Multiplying 3 by 4 gives 12.", "result": 12}
    # the parquet file was read by ranges, through the Hub's resolve route
    assert on_fake_hub.hits(r"/resolve/[0-9a-f]{40}/data/train-00000-of-00001\.parquet$")


def test_a_gated_dataset_fails_clearly_without_a_token(on_fake_hub):
    hub, sleeps = hub_for()
    with pytest.raises(HubError) as info:
        read_rows(hub, DatasetRef("acme/arith-gated"), None, "train", 2)
    assert "gated" in str(info.value) and "acme/arith-gated" in str(info.value)
    assert sleeps == []  # not retried: it will not pass


def test_a_token_from_the_environment_opens_the_gated_dataset(fake_hub, tmp_path):
    with pointed_at(fake_hub, tmp_path / "hf", token=True):
        hub, _ = hub_for()
        rows = read_rows(hub, DatasetRef("acme/arith-gated"), None, "train", 2)
    assert rows[0]["problem"] == "What is 1 + 40?"
    assert all(r.authorized for r in fake_hub.hits("arith-gated/resolve"))


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(on_fake_hub):
    hub, sleeps = hub_for(hub_retries=3)
    on_fake_hub.fail(r"^/api/datasets/acme/arith-qa$", 429, 503, retry_after=0.25)
    info = hub.call("the info of acme/arith-qa",
                    lambda: hub.api.dataset_info("acme/arith-qa"))
    assert info.id == "acme/arith-qa" and hub.retried == 2
    assert sleeps == [0.25, 0.25]
    on_fake_hub.fail(r"^/api/datasets/acme/arith-qa$", 500, 500, 500, 500, retry_after=None)
    with pytest.raises(HubError) as failed:
        hub.call("the info of acme/arith-qa", lambda: hub.api.dataset_info("acme/arith-qa"))
    assert "after 4 tries" in str(failed.value)
    assert len(sleeps) == 5 and all(0.0 < s <= 0.08 for s in sleeps[2:])  # backoff doubles


def test_a_missing_dataset_is_not_retried(on_fake_hub):
    hub, sleeps = hub_for()
    with pytest.raises(HubError, match="nobody/nothing"):
        hub.call("the info of nobody/nothing", lambda: hub.api.dataset_info("nobody/nothing"))
    assert sleeps == [] and retry_hint(ConnectionError("reset")) == (True, None)


def test_requests_per_minute_space_calls_out():
    hub, sleeps = hub_for(hub_rpm=600)
    for _ in range(3):
        hub.call("nothing", lambda: None)
    # the recorder does not sleep: the second call waits out both intervals
    assert [round(s, 1) for s in sleeps] == [0.1, 0.2]


def test_the_fake_serves_a_second_config_and_jsonl(tmp_path):
    repo = dataset_repo("acme/two", {"train": [{"q": "a"}]}, fmt="jsonl",
                        configs={"hard": {"train": [{"q": "b"}], "validation": [{"q": "c"}]}})
    with FakeHub([repo]) as fake, pointed_at(fake, tmp_path / "hf"):
        hub, _ = hub_for()
        assert sorted(configs(hub, DatasetRef("acme/two"))) == ["default", "hard"]
        assert splits(hub, DatasetRef("acme/two"), "hard") == ["train", "validation"]
        assert read_rows(hub, DatasetRef("acme/two"), "hard", "validation", 5) == [{"q": "c"}]
