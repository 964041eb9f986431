"""The floor: a bare aiohttp loop, one session, a semaphore of C, nothing else."""

from __future__ import annotations

import asyncio

import aiohttp
from driver import measure, parse_args, prompts


async def run(url: str, n: int, c: int) -> int:
    sem = asyncio.Semaphore(c)
    ok = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as session:
        async def one(prompt: str) -> None:
            nonlocal ok
            body = {"model": "fake-model", "messages": [{"role": "user", "content": prompt}]}
            async with sem, session.post(f"{url}/chat/completions", json=body) as resp:
                data = await resp.json()
                ok += bool(data["choices"][0]["message"]["content"])

        await asyncio.gather(*(one(p) for p in prompts(n, "bare")))
    return ok


if __name__ == "__main__":
    args = parse_args(__doc__)
    measure(lambda: asyncio.run(run(args.base_url, args.n, args.c)))
