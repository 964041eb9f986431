import pytest

from sdgcore.errors import ConfigError

embeddings = pytest.importorskip("sdgcore.embeddings")
pytest.importorskip("sentence_transformers")


def test_packaged_model_embeds_offline_with_unit_vectors():
    vectors = embeddings.embed(["the answer is 42", "forty-two", "Paris is in France"])
    assert vectors.shape == (3, 384)
    sims = vectors @ vectors.T
    assert sims[0, 0] == pytest.approx(1.0, abs=1e-5)
    assert sims[0, 1] > sims[0, 2] + 0.3  # related answers sit closer than unrelated text
    assert embeddings.embed([]).shape == (0, 384)


def test_model_loads_once_per_process():
    assert embeddings.load_model() is embeddings.load_model("all-MiniLM-L6-v2")


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot load embedding model"):
        embeddings.load_model(str(tmp_path / "no-such-model"))


def test_loading_leaves_the_hub_on_for_the_rest_of_the_process(monkeypatch):
    """The model loads from local files only, without setting HF_HUB_OFFLINE for the whole
    process (the web task reads datasets from the Hub in the same run)."""
    import subprocess
    import sys

    code = ("import os; from sdgcore.embeddings import embed; embed(['a text']); "
            "print(os.environ.get('HF_HUB_OFFLINE'))")
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("HF_")}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "None"
