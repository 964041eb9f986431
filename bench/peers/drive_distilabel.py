"""distilabel: a Pipeline of LoadDataFromDicts >> TextGeneration(OpenAILLM), batches of C
(distilabel's unit of concurrency: each batch's requests are gathered, batches run one after
another), run with ``use_cache=False`` and a fresh cache folder."""

from __future__ import annotations

from distilabel.models import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from driver import measure, parse_args, prompts


def run(url: str, n: int, c: int, workdir: str) -> int:
    with Pipeline(name="bench", cache_dir=workdir) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": p} for p in prompts(n, "distilabel")],
                                 batch_size=c)
        generate = TextGeneration(
            llm=OpenAILLM(model="fake-model", base_url=url, api_key="sk-bench",
                          max_retries=3, timeout=60),
            input_batch_size=c)
        load >> generate
    distiset = pipeline.run(use_cache=False)
    rows = distiset["default"]["train"]
    return sum(bool(g) for g in rows["generation"])


if __name__ == "__main__":
    args = parse_args(__doc__)
    measure(lambda: run(args.base_url, args.n, args.c, args.workdir))
