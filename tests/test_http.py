"""HTTP policy: Retry-After, retries by idempotency, rate limiting, error mapping, redaction."""

from __future__ import annotations

import email.utils
import logging
import time

import httpx
import pytest
from toy_provider import ToyCRM, ToyProvider

import crmbridge
from crmbridge.http import (
    RateLimiter,
    RetryPolicy,
    SyncDriver,
    TokenBucket,
    check_same_origin,
    parse_retry_after,
    redact_headers,
)

SECRET = "toy-secret-token"


def _driver(crm: ToyCRM, **kw: object) -> SyncDriver:
    provider = ToyProvider.from_config(token=SECRET)
    client = httpx.Client(transport=httpx.MockTransport(crm))
    return SyncDriver(client, provider, **kw)  # type: ignore[arg-type]


def test_retry_after_seconds_and_dates() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("-2") == 0.0
    now = 1_700_000_000.0
    date = email.utils.formatdate(now + 7, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(7.0)
    assert parse_retry_after(email.utils.formatdate(now - 5, usegmt=True), now=now) == 0.0
    assert parse_retry_after("Tue, 23 May 2023 14:42:01 GMT", now=now) == 0.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None


def test_429_is_retried_even_for_writes() -> None:
    crm = ToyCRM()
    crm.queue = [httpx.Response(429, headers={"retry-after": "0"}, json={"error": "slow"})]
    driver = _driver(crm)
    request = driver.provider.build_request("POST", "/contacts", json={"email": "a@b.co"})
    assert driver.send(request).status_code == 201
    assert len(crm.requests) == 2


def test_backoff_hook_honours_retry_after() -> None:
    driver = _driver(ToyCRM(), policy=RetryPolicy(retry_after_max=30))
    request = driver.provider.build_request("GET", "/objects")
    hook = driver._backoff(request)
    assert hook(crmbridge.RateLimited("x", retry_after=4.0)) == 4.0
    assert hook(crmbridge.RateLimited("x", retry_after=400.0)) == 30
    assert hook(crmbridge.RateLimited("x")) is True
    assert hook(ValueError("not ours")) is False


def test_5xx_retried_for_idempotent_requests_only() -> None:
    crm = ToyCRM()
    crm.queue = [httpx.Response(503, json={"error": "busy"})]
    driver = _driver(crm)
    assert driver.send(driver.provider.build_request("GET", "/objects")).status_code == 200
    assert len(crm.requests) == 2

    crm2 = ToyCRM()
    crm2.queue = [httpx.Response(503, json={"error": "busy"})]
    driver2 = _driver(crm2)
    with pytest.raises(crmbridge.ProviderError) as info:
        driver2.send(driver2.provider.build_request("POST", "/contacts", json={}))
    assert info.value.status == 503
    assert len(crm2.requests) == 1


def test_network_errors_not_retried_for_creates() -> None:
    crm = ToyCRM()
    crm.queue = [httpx.ConnectError("refused")]
    driver = _driver(crm)
    with pytest.raises(crmbridge.TransportError, match="no answer from toy"):
        driver.send(driver.provider.build_request("POST", "/contacts", json={}))
    assert len(crm.requests) == 1
    crm.queue = [httpx.ReadTimeout("slow")]
    assert driver.send(driver.provider.build_request("GET", "/objects")).status_code == 200


def test_attempts_are_bounded() -> None:
    crm = ToyCRM()
    crm.queue = [httpx.Response(500, json={"error": "x"}) for _ in range(10)]
    driver = _driver(crm, policy=RetryPolicy(attempts=3))
    with pytest.raises(crmbridge.ProviderError):
        driver.send(driver.provider.build_request("GET", "/objects"))
    assert len(crm.requests) == 3


def test_a_server_failing_the_same_way_is_not_retried_six_times() -> None:
    """Two identical 500s: at most ``server_error_attempts`` (3) tries, not the 6 that 429s get
    (docs/decisions.md, "reliability")."""
    crm = ToyCRM()
    crm.queue = [httpx.Response(500, json={"error": "boom"}) for _ in range(10)]
    driver = _driver(crm)
    with pytest.raises(crmbridge.ProviderError):
        driver.send(driver.provider.build_request("GET", "/objects"))
    assert len(crm.requests) == RetryPolicy().server_error_attempts == 3
    crm.requests.clear()
    crm.queue = [httpx.Response(429, headers={"retry-after": "0"}) for _ in range(4)]
    assert driver.send(driver.provider.build_request("GET", "/objects")).status_code == 200
    assert len(crm.requests) == 5


def test_a_request_that_succeeds_never_enters_the_retry_machinery(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path (issue 24): stamina's retry context is only built after a failure."""
    import crmbridge.http

    def no_retry(*args: object, **kwargs: object) -> object:
        raise AssertionError("retry machinery used on the fast path")

    monkeypatch.setattr(crmbridge.http.stamina, "retry_context", no_retry)
    crm = ToyCRM()
    driver = _driver(crm)
    assert driver.send(driver.provider.build_request("GET", "/objects")).status_code == 200
    crm.queue = [httpx.Response(503, json={"error": "busy"})]
    with pytest.raises(AssertionError, match="fast path"):
        driver.send(driver.provider.build_request("GET", "/objects"))


def test_errors_carry_status_request_and_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    crm = ToyCRM()
    driver = _driver(crm)
    with pytest.raises(crmbridge.NotFound) as info:
        driver.send(driver.provider.build_request("GET", "/contacts/99", params={"q": "x"}))
    err = info.value
    assert err.status == 404
    assert err.provider == "toy"
    assert err.request == "GET https://toy.example/contacts/99"
    assert err.raw == {"error": "no such record"}
    assert crm.requests[0].headers["authorization"] == f"Token {SECRET}"
    for text in (str(err), repr(err), caplog.text, repr(driver.provider)):
        assert SECRET not in text


def test_expected_statuses_reach_the_plan() -> None:
    driver = _driver(ToyCRM())
    request = driver.provider.build_request("GET", "/contacts/99", expect=(404,))
    assert driver.send(request).status_code == 404


def test_auth_error() -> None:
    provider = ToyProvider.from_config(token="wrong")
    client = httpx.Client(transport=httpx.MockTransport(ToyCRM()))
    driver = SyncDriver(client, provider)
    with pytest.raises(crmbridge.AuthError):
        driver.send(provider.build_request("GET", "/objects"))


def test_token_bucket_spaces_requests() -> None:
    bucket = TokenBucket(rate=10, burst=1)
    assert bucket.reserve() == 0.0
    wait = bucket.reserve()
    assert wait == pytest.approx(0.1, abs=0.02)
    bucket.penalize(2.0)
    assert bucket.reserve() > 1.5


def test_token_bucket_set_rate_keeps_the_sends_it_counted() -> None:
    """A pace found from the server's answers moves (crmbridge/pacing.py): the sends of the
    last second still count in :meth:`TokenBucket.admit`'s window after the change."""
    bucket = TokenBucket(rate=100)
    for _ in range(50):
        assert bucket.admit() == 0.0
    bucket.set_rate(40)
    assert (bucket.rate, bucket.burst) == (40, 1.0)
    assert bucket.refill == pytest.approx(39)
    assert bucket.admit() > 0.5  # 50 sent in the last second: 40 is full until they expire
    bucket.set_rate(200)
    assert bucket.admit() == 0.0


def test_token_bucket_remembers_sends_made_before_it_existed() -> None:
    """A bucket made after a 429 starts as full as the server's window."""
    now = time.monotonic()
    bucket = TokenBucket(rate=10)
    bucket.remember([now - 0.5 + i * 0.01 for i in range(10)])
    wait = bucket.admit()
    assert 0.5 < wait < 0.6
    fresh = TokenBucket(rate=10)
    fresh.remember([now - 2.0] * 10)  # older than the window: forgotten
    assert fresh.admit() == 0.0


def test_rate_limiter_buckets_by_kind() -> None:
    limiter = RateLimiter(read_rate=None, write_rate=5)
    provider = ToyProvider.from_config(token="t")
    read = provider.build_request("GET", "/x")
    write = provider.build_request("POST", "/x")
    assert all(limiter.delay(read) == 0 for _ in range(20))
    delays = [limiter.delay(write) for _ in range(5)]
    assert delays[0] == 0
    assert delays[-1] > 0.5


def test_rate_limiter_paces_the_driver() -> None:
    crm = ToyCRM()
    driver = _driver(crm, limiter=RateLimiter(read_rate=50, write_rate=None))
    start = time.monotonic()
    for _ in range(15):
        driver.send(driver.provider.build_request("GET", "/objects"))
    assert time.monotonic() - start >= 0.2


def test_same_origin() -> None:
    base = "https://app.go.kizen.com"
    assert check_same_origin(base, "/api/x?page=2", provider="k") == f"{base}/api/x?page=2"
    assert check_same_origin(base, f"{base}/api/x", provider="k") == f"{base}/api/x"
    for bad in (
        "https://evil.example/api/x",
        "http://app.go.kizen.com/api",
        "https://app.go.kizen.com:8443/",
    ):
        with pytest.raises(crmbridge.ProviderError, match="another host"):
            check_same_origin(base, bad, provider="k")


def test_redact_headers() -> None:
    headers = {"Authorization": "Bearer x", "X-API-KEY": "k", "X-User-Id": "u", "Accept": "json"}
    assert redact_headers(headers) == {
        "Authorization": "[redacted]",
        "X-API-KEY": "[redacted]",
        "X-User-Id": "[redacted]",
        "Accept": "json",
    }


def test_malformed_error_body_is_kept_raw() -> None:
    crm = ToyCRM()
    crm.queue = [httpx.Response(502, text="<html>Bad gateway</html>")]
    driver = _driver(crm, policy=RetryPolicy(attempts=1))
    with pytest.raises(crmbridge.ProviderError) as info:
        driver.send(driver.provider.build_request("GET", "/objects"))
    assert info.value.raw == "<html>Bad gateway</html>"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, text='{"id": "1", "email"'),
        httpx.Response(200, text="<html><body>Maintenance</body></html>"),
        httpx.Response(200, json=["not", "a", "record"]),
        httpx.Response(200, json={"no_id_here": True}),
    ],
)
def test_unreadable_success_bodies_become_provider_errors(response: httpx.Response) -> None:
    from crmbridge.provider import ObjectSchema

    crm = ToyCRM()
    crm.queue = [response]
    driver = _driver(crm)
    schema = ObjectSchema(crmbridge.ObjectSpec("contacts", "Contacts"), {})
    with pytest.raises(crmbridge.ProviderError, match="cannot read") as info:
        driver.run(driver.provider.get(schema, "1"))
    assert info.value.raw == response_body_of(response)
    assert info.value.code == "unreadable_response"
    assert info.value.request == "GET https://toy.example/contacts/1"


def response_body_of(response: httpx.Response) -> object:
    from crmbridge.http import response_body

    return response_body(response)


def test_a_body_json_cannot_hold_is_refused_before_sending() -> None:
    crm = ToyCRM()
    driver = _driver(crm)
    with pytest.raises(crmbridge.ValidationError, match="cannot send this to toy"):
        driver.provider.build_request("POST", "/contacts", json={"name": crmbridge.PersonName("A")})
    assert crm.requests == []


def test_retry_after_date_is_measured_against_the_response_date() -> None:
    """A client clock 5 s fast must not turn "retry in 2 s" into "retry now" (issue 17)."""
    server_now = int(time.time()) - 5
    crm = ToyCRM()
    driver = _driver(crm)
    request = driver.provider.build_request("GET", "/objects")
    response = httpx.Response(
        429,
        json={"error": "slow"},
        headers={
            "date": email.utils.formatdate(server_now, usegmt=True),
            "retry-after": email.utils.formatdate(server_now + 2, usegmt=True),
        },
        request=request,
    )
    with pytest.raises(crmbridge.RateLimited) as info:
        driver._check(request, response)
    assert info.value.retry_after == pytest.approx(2.0)


def test_delete_retried_after_a_lost_answer_then_404_is_a_success() -> None:
    """The first DELETE was done but its answer lost; the retry's 404 says it is gone."""
    crm = ToyCRM()
    crm.queue = [httpx.RemoteProtocolError("Server disconnected without sending a response.")]
    driver = _driver(crm)
    request = driver.provider.build_request("DELETE", "/contacts/7")
    assert driver.send(request).status_code == 404
    assert len(crm.requests) == 2
    with pytest.raises(crmbridge.NotFound):  # without a lost answer, 404 is still NotFound
        driver.send(driver.provider.build_request("DELETE", "/contacts/7"))


def test_httpcore_finds_sniffio() -> None:
    """Without sniffio, httpcore retries a failing import on every async lock setup
    (encode/httpcore#1103; ~22% of a client's CPU, issue 24): it is a dependency."""
    import importlib.util
    import tomllib
    from pathlib import Path

    assert importlib.util.find_spec("sniffio") is not None
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert any(d.startswith("sniffio") for d in project["project"]["dependencies"])


def test_pool_limits_keep_every_connection_of_the_concurrency_alive() -> None:
    from crmbridge.http import pool_limits

    assert pool_limits(32).max_keepalive_connections == 32
    assert pool_limits(250).max_connections == 250
    default = pool_limits()
    assert default.max_keepalive_connections == default.max_connections == 100
    bridge = crmbridge.connect_async("attio", token="x" * 64, concurrency=48)
    pool = bridge.client._transport._pool  # type: ignore[attr-defined]
    assert pool._max_keepalive_connections == pool._max_connections == 48


def test_the_free_heap_goes_back_after_a_large_answer_is_parsed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A page's body is read in chunks and decoded to text before it is parsed, each as large as
    the body: once parsed, that space is free and is given back (crmbridge/heap.py; issue 24).
    Small answers, most of them, do not pay for it."""
    import crmbridge.heap
    from crmbridge.http import _LARGE_BODY

    calls: list[bool] = []
    monkeypatch.setattr(crmbridge.heap, "return_free_memory", lambda: calls.append(True) or True)
    crm = ToyCRM()
    driver = _driver(crm)
    crm.queue = [httpx.Response(200, json={"data": ["x" * 100]})]
    driver.send(driver.provider.build_request("GET", "/objects"))
    assert calls == []
    crm.queue = [httpx.Response(200, json={"data": ["x" * _LARGE_BODY]})]
    assert driver.send(driver.provider.build_request("GET", "/objects")).json()["data"]
    assert calls == [True]
