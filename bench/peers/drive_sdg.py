"""sdg's model layer: an ``openai_compat`` Endpoint with everything on (limits, timeout,
retries, the SQLite request cache in a fresh folder)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp  # noqa: F401  imported before the clock starts, as drive_bare.py does
from driver import measure, parse_args, prompts

from sdgcore.models import ChatRequest, Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.cache import RequestCache
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig


async def run(url: str, n: int, c: int, workdir: Path) -> int:
    limits = Limits(concurrency=c, timeout=60, retries=3)
    backend = OpenAICompatBackend(OpenAICompatConfig(api_base=url),
                                  EndpointCommon(model="fake-model", limits=limits))
    cache = RequestCache(workdir / "cache.sqlite")
    endpoint = Endpoint("bench", backend, cache)
    requests = [ChatRequest(messages=[{"role": "user", "content": p}])
                for p in prompts(n, "sdg")]
    try:
        results = await asyncio.gather(*(endpoint.chat(r) for r in requests))
    finally:
        await endpoint.aclose()
        cache.close()
    return sum(bool(r.ok and r.choices[0].text) for r in results)


if __name__ == "__main__":
    args = parse_args(__doc__)
    measure(lambda: asyncio.run(run(args.base_url, args.n, args.c, Path(args.workdir))))
