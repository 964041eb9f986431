"""``task:`` for ``type: web``: what to look for, how to filter and probe it, how to convert."""

from __future__ import annotations

from typing import Literal

import attrs

from sdgcore import AnswerFormat

FIELDS = ("question", "answer", "reference", "context")
"""The sample fields a dataset's columns can be mapped to."""
LICENSES = ("apache-2.0", "mit", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "cc-by-3.0",
            "cc-by-sa-3.0", "odc-by", "odbl", "pddl", "cdla-permissive-2.0",
            "cdla-permissive-1.0", "cdla-sharing-1.0", "bsd-2-clause", "bsd-3-clause",
            "unlicense")
"""The default licence allow-list: licences that allow training on the data and sharing what
is made from it (the Hub's licence identifiers)."""

_ge0 = attrs.validators.ge(0)
_ge1 = attrs.validators.ge(1)
_score = [attrs.validators.ge(1), attrs.validators.le(5)]


def _fields(_config: object, _field: attrs.Attribute, value: dict[str, str]) -> None:
    unknown = sorted(set(value) - set(FIELDS))
    if unknown:
        raise ValueError(f"unknown sample field {unknown[0]!r}; map any of "
                         f"{', '.join(FIELDS)} to a column")
    if value and "question" not in value:
        raise ValueError("map `question` to a column (the other fields are optional)")


@attrs.frozen
class WebConfig:
    """``task:`` for ``type: web``.

    :param query: the domain, in words ("grade-school math word problems"): the teacher
        turns it into search keywords, and the judge scores datasets against it.
    :param keywords: search terms used as given (with the teacher's, when ``query`` is set).
    :param datasets: datasets to use instead of searching: Hub ids (``owner/name``,
        ``owner/name:config``) and local data (a parquet, JSONL or CSV file, a folder of
        them, or a folder written by ``datasets``' ``save_to_disk``); relative paths are
        taken from the current directory. Listed datasets are used as given: the filters
        and score minimums below apply to the datasets a search finds.
    :param split: the split to read; None: ``train`` where there is one, else the first.
    :param max_rows: rows read per dataset (the pool samples are drawn from).
    :param probe_rows: rows of each dataset the judge sees when it maps and scores it.
    :param fields: sample field -> column (``question: problem``, ``answer: solution``);
        fields are ``question`` (required), ``answer`` (the known short answer: the gold),
        ``reference`` (a worked answer) and ``context``. Empty: the judge maps each
        dataset's columns. Given: used for every dataset, and a dataset named in
        ``datasets`` is then used without a judge request.
    :param search_limit: datasets asked for per keyword search (most downloaded first).
    :param max_keywords: search keywords the teacher proposes.
    :param max_datasets: the most datasets used (the best scored, after filtering).
    :param licenses: the licence allow-list (Hub licence ids); empty: any licence.
        A dataset whose card states no licence is left out unless the list is empty.
    :param allow_gated: use gated datasets (needs ``HF_TOKEN`` with access to them).
    :param min_size: leave out datasets whose Hub size category is below this many rows.
    :param max_size: leave out datasets whose Hub size category is above this many rows.
    :param tags: Hub tags a dataset must have, every one (``task_categories:question-answering``).
    :param exclude_tags: Hub tags that leave a dataset out.
    :param modality: the Hub modality searched (``modality:<this>``); None: any.
    :param min_relevance: the judge's relevance score (1-5) a dataset needs.
    :param min_quality: the judge's quality score (1-5) a dataset needs.
    :param convert: when the teacher rewrites a row into a question and a short answer:
        ``auto`` (where the judge says the dataset's format differs, or no short answer can
        be read from the mapped answer column), ``always``, or ``never`` (such a row becomes
        a sample without a gold answer, and is voted on).
    :param answer_tag: the tag a final answer is wrapped in, where the voter and the
        comparator read it.
    :param output_format: what whoever answers a sample is told about the answer format;
        None for the default line, which asks for ``<answer_tag>...</answer_tag>``.
    :param dedup_threshold: skip a row whose question is this similar (0-1) to one already
        used.
    :param hub_retries: retries of a Hub request that failed for a reason that may pass
        (429, 5xx, connection), as the model layer retries.
    :param hub_backoff: the first retry's wait in seconds; it doubles each retry, with jitter,
        and a ``Retry-After`` the Hub sends is honoured.
    :param hub_max_backoff: the longest wait between retries.
    :param hub_rpm: Hub requests per minute, or None for no budget.
    :param model: the model role that proposes keywords and converts rows.
    :param judge_model: the model role that maps fields and scores datasets.
    """

    query: str | None = None
    keywords: list[str] = attrs.field(factory=list)
    datasets: list[str] = attrs.field(factory=list)
    split: str | None = None
    max_rows: int = attrs.field(default=1000, validator=_ge1)
    probe_rows: int = attrs.field(default=5, validator=_ge1)
    fields: dict[str, str] = attrs.field(factory=dict, validator=_fields)
    search_limit: int = attrs.field(default=20, validator=_ge1)
    max_keywords: int = attrs.field(default=5, validator=_ge1)
    max_datasets: int = attrs.field(default=4, validator=_ge1)
    licenses: list[str] = attrs.field(factory=lambda: list(LICENSES))
    allow_gated: bool = False
    min_size: int | None = None
    max_size: int | None = None
    tags: list[str] = attrs.field(factory=list)
    exclude_tags: list[str] = attrs.field(factory=list)
    modality: str | None = "text"
    min_relevance: int = attrs.field(default=3, validator=_score)
    min_quality: int = attrs.field(default=3, validator=_score)
    convert: Literal["auto", "always", "never"] = "auto"
    answer_tag: str = attrs.field(  # checked as AnswerFormat checks a tag
        default="answer", validator=lambda _config, _field, tag: AnswerFormat(tag=tag))
    output_format: str | None = None
    dedup_threshold: float = attrs.field(
        default=0.9, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)])
    hub_retries: int = attrs.field(default=5, validator=_ge0)
    hub_backoff: float = attrs.field(default=0.5, validator=attrs.validators.ge(0.0))
    hub_max_backoff: float = attrs.field(default=30.0, validator=attrs.validators.ge(0.0))
    hub_rpm: int | None = None
    model: str = "teacher"
    judge_model: str = "judge"

    def __attrs_post_init__(self) -> None:
        if not (self.query or self.keywords or self.datasets):
            raise ValueError("give `datasets` to use, or a `query` (or `keywords`) to search "
                             "the Hub with")
        if self.min_size is not None and self.max_size is not None \
                and self.min_size > self.max_size:
            raise ValueError(f"min_size ({self.min_size}) is above max_size ({self.max_size})")

    @property
    def answer_format(self) -> AnswerFormat:
        """The samples' answer format: ``answer_tag``, and ``output_format`` as its line."""
        return AnswerFormat(tag=self.answer_tag, instruction=self.output_format or None)
