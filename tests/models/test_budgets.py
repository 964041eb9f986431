"""RPM/TPM budgets charge every request in full (issue 11, item 4).

The TPM bucket holds ten seconds of budget; a request estimated at more than that once took
only a bucketful while the endpoint settled against the whole estimate, so 20,000 tokens a
minute went through a 6,000 limit.
"""

import asyncio
import itertools

import pytest

from sdgcore.config.values import Secret
from sdgcore.models import ChatRequest, Endpoint
from sdgcore.models.backends.openai_compat import OpenAICompatBackend
from sdgcore.models.config import EndpointCommon, Limits, OpenAICompatConfig
from sdgcore.models.limits import MinuteBudget
from sdgcore.testing.server import FakeOpenAIServer, Reply


def test_a_request_larger_than_the_bucket_leaves_a_debt():
    async def main():
        budget = MinuteBudget(6_000)  # 100 a second, 1,000 in the bucket
        await budget.take(2_500)
        return budget.level

    assert asyncio.run(main()) == pytest.approx(-1_500, abs=10)


def test_tpm_admits_no_more_than_the_budget_in_any_window(monkeypatch):
    # a half-second bucket keeps the test short; a request is two bucketfuls
    monkeypatch.setattr(MinuteBudget, "BURST_SECONDS", 0.5)
    tpm, prompt, completion = 60_000, 100, 900
    rate, capacity, tokens = tpm / 60, tpm * 0.5 / 60, prompt + completion
    assert tokens > capacity

    def ask(i):  # estimated as 400 / 4 + max_tokens = exactly what the server reports
        text = f"{i:03d}".ljust(4 * prompt, "w")
        return ChatRequest(messages=[{"role": "user", "content": text}], max_tokens=completion)

    async def main(ep):
        try:
            return await asyncio.gather(*(ep.chat(ask(i)) for i in range(5)))
        finally:
            await ep.aclose()

    reply = Reply("x", prompt_tokens=prompt, completion_tokens=completion)
    with FakeOpenAIServer(reply) as server:
        limits = Limits(tpm=tpm, concurrency=8, timeout=10)
        ep = Endpoint("teacher", OpenAICompatBackend(
            OpenAICompatConfig(api_base=server.url, api_key=Secret("k")),
            EndpointCommon(model="fake-model", limits=limits)))
        results = asyncio.run(main(ep))
        arrived = sorted(r.received_at for r in server.requests)
    assert all(r.ok for r in results) and len(arrived) == 5
    assert ep.stats.prompt_tokens + ep.stats.completion_tokens == 5 * tokens
    slack = 0.1 * rate  # loopback delivery: admitted a few ms before the server logs it
    for i, j in itertools.combinations(range(len(arrived)), 2):
        # requests i .. j-1 were all charged before request j could be admitted
        allowance = capacity + rate * (arrived[j] - arrived[i]) + slack
        assert (j - i) * tokens <= allowance, (i, j, arrived)
