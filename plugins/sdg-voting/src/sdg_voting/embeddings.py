"""Answer similarity for semantic voting and comparison: what text stands for a response,
how alike two such texts are, and how votes group into clusters.

Similarity is the cosine of sentence embeddings (:func:`sdgcore.embeddings.embed`), with two
overrides, because embeddings do not understand numbers: texts that are the same answer by
:func:`~sdg_voting.equivalence.compare` are similar (1.0), and two numbers that are not equal
are not (0.0), however close their embeddings (``"41"`` and ``"42"`` embed at about 0.8).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from sdg_voting.answers import as_number
from sdg_voting.equivalence import DEFAULT, Equivalence, compare

if TYPE_CHECKING:
    import numpy as np

Embed = Literal["answer", "response"]
"""What stands for a response: its extracted final answer (else the whole response), or
always the whole response."""


def text_for(response: str, answer: str | None, embed: Embed) -> str:
    """The text embedded for a response: ``answer`` when ``embed`` is ``"answer"`` and there
    is one, else the whole response; stripped ("" for a blank response)."""
    return (answer if embed == "answer" and answer is not None else response).strip()


def similarities(texts: list[str], model: str, *, rules: Equivalence = DEFAULT,
                 batch_size: int = 64) -> np.ndarray:
    """The pairwise similarity matrix of ``texts`` (float64, ones on the diagonal), embedded
    with ``model`` in one batch, with the overrides in the module docstring (answers
    compared by ``rules``).

    :raises MissingExtraError: sentence-transformers is not installed.
    :raises ConfigError: ``model`` cannot be loaded offline.
    """
    import numpy as np

    from sdgcore import embed

    vectors = embed(texts, model, batch_size=batch_size)
    sim = np.clip((vectors @ vectors.T).astype(np.float64), -1.0, 1.0)
    numeric = [as_number(text) is not None for text in texts]
    for i, a in enumerate(texts):
        sim[i, i] = 1.0
        for j in range(i + 1, len(texts)):
            b = texts[j]
            if compare(a, b, rules)[0]:
                sim[i, j] = sim[j, i] = 1.0
            elif numeric[i] and numeric[j]:
                sim[i, j] = sim[j, i] = 0.0
    return sim


def cluster(sim: np.ndarray, members: list[int], threshold: float) -> list[list[int]]:
    """Group ``members`` (row indices of ``sim``) into clusters, deterministically.

    Members are taken in the order given. Each joins the existing cluster it is most similar
    to on average (average linkage), if that average is at least ``threshold`` (the earliest
    cluster wins a tie); otherwise it starts a new cluster. Clusters come back in the order
    they were started, members in the order given.
    """
    clusters: list[list[int]] = []
    for i in members:
        best, best_score = None, threshold
        for c, group in enumerate(clusters):
            score = float(sim[i, group].mean())
            if score >= best_score and (best is None or score > best_score):
                best, best_score = c, score
        if best is None:
            clusters.append([i])
        else:
            clusters[best].append(i)
    return clusters


def medoid(sim: np.ndarray, group: list[int]) -> int:
    """The member of ``group`` most similar to the others in total (the earliest on a tie)."""
    totals = [float(sim[i, group].sum()) for i in group]
    return group[totals.index(max(totals))]
