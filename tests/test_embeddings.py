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
