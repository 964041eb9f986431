"""An example third-party task, ``faq``: a CSV of FAQs (``question,answer`` columns) made
into samples. The teacher rephrases each question as a user might ask it; the FAQ's answer is
the sample's ``gold``, and the CSV row its lineage. It uses the public API alone."""

import contextlib
import csv
from pathlib import Path

import attrs

from sdgcore import (
    ChatRequest,
    NearDuplicates,
    Sample,
    Source,
    Task,
    derive_seed,
    draft_samples,
    endpoint_for,
    hookimpl,
)

PROMPT = "Rephrase this FAQ question as a user might ask it, keeping its meaning:\n{question}"
SCHEMA = {"type": "object", "properties": {"question": {"type": "string"}},
          "required": ["question"]}


@attrs.frozen
class FaqConfig:
    """``task:`` for ``type: faq``.

    :param path: the CSV file; the bundled example by default.
    :param model: the model role that rephrases.
    """

    path: Path = Path(__file__).with_name("faqs.csv")
    model: str = "teacher"


class FaqTask(Task):
    """FAQ questions rephrased by the teacher, each with its FAQ answer as gold."""

    name = "faq"
    Config = FaqConfig

    async def generate(self, ctx):
        teacher = endpoint_for(ctx, self.config.model, "task.model")
        with open(self.config.path, newline="", encoding="utf-8") as file:
            rows = list(enumerate(csv.DictReader(file), start=1))

        async def rephrase(item):
            number, row = item
            done = await teacher.chat(ChatRequest(
                messages=[{"role": "user", "content": PROMPT.format(**row)}],
                seed=derive_seed(ctx.seed, self.name, number), json_schema=SCHEMA))
            data = done.choices[0].data if done.ok and done.choices else None
            question = data.get("question") if isinstance(data, dict) else None
            if not isinstance(question, str) or not question.strip():
                return "failed"
            return Sample(task=self.name, question=question.strip(), gold=row["answer"],
                          source=Source(kind="faq", ref=str(self.config.path),
                                        locator={"row": number, "question": row["question"]}),
                          tokens=done.tokens)

        drafts = draft_samples(rows, rephrase, window=teacher.concurrency, max_rejects=20,
                               seen=NearDuplicates(0.9))
        async with contextlib.aclosing(drafts):
            async for sample in drafts:
                yield sample


@hookimpl
def sdg_register_tasks(register):
    register(FaqTask)
