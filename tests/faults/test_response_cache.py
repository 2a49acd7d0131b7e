"""`responseCache` on the real proxy and Redis: LiteLLM's response cache answers a repeated
request from Redis only when the request asks (`opt-in`, the default), and with `always` every
repeat. A hit is seen where it matters: the upstream is not called again and the answer is the
first one, id included (the mock gives every answer its own id)."""

import time

import pytest

from .conftest import Stack, unique

pytestmark = pytest.mark.docker

ASK = {"cache": {"use-cache": True}}  # LiteLLM's per-request switch (`default_off` mode)
#: LiteLLM writes the cache after answering; a repeat sent before that write is a miss
WRITE_WAIT_S, WRITE_TRIES = 0.5, 20


def _repeat_until_hit(s: Stack, prompt: str, first_id: str, **extra) -> tuple[bool, int]:
    """(hit, tries): repeats the request until its answer is the first one (bounded)."""
    for tries in range(1, WRITE_TRIES + 1):
        time.sleep(WRITE_WAIT_S)
        r = s.chat("load", prompt, **extra)
        assert r.status == 200, r.brief()
        if r.json()["id"] == first_id:
            return True, tries
    return False, WRITE_TRIES


def test_response_cache_opt_in_answers_a_repeat_that_asks_from_redis(shared_stack: Stack) -> None:
    s = shared_stack
    assert s.settings.response_cache == "opt-in"  # the default this test is about
    prompt = unique("cache me")
    before = s.calls("load")
    first = s.chat("load", prompt, **ASK)
    assert first.status == 200, first.brief()
    hit, tries = _repeat_until_hit(s, prompt, first.json()["id"], **ASK)
    assert hit, f"a repeat that asks for the cache was not answered from it in {WRITE_TRIES} tries"
    # the misses before the write reached the upstream, the hit did not
    assert s.calls("load") - before == tries, (s.calls("load") - before, tries)


def test_response_cache_opt_in_leaves_a_request_that_does_not_ask_to_the_upstream(shared_stack: Stack) -> None:
    s = shared_stack
    prompt = unique("do not cache me")
    before = s.calls("load")
    first = s.chat("load", prompt)
    assert first.status == 200, first.brief()
    hit, _ = _repeat_until_hit(s, prompt, first.json()["id"])
    assert not hit, "a request that did not ask was answered from the cache"
    assert s.calls("load") - before == 1 + WRITE_TRIES
