"""The abuse limits (canvass/web/limits.py) against a tiny ASGI app served by real uvicorn on
a free loopback port, driven over real sockets: each abusive client is refused with the
right status while a well-behaved client at the same time is served."""

from __future__ import annotations

import asyncio
import json
import resource
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from canvass.settings import Settings
from canvass.web.auth import mint_token, token_username
from canvass.web.limits import (
    AbuseGuard,
    Receive,
    RequestLimits,
    Scope,
    Send,
    bearer_token,
    credential_subject,
    guard_app,
    raise_nofile_limit,
    serve_options,
)

LIMITS = RequestLimits(
    per_client=3, max_body_bytes=100_000, receive_timeout=0.6, min_rate=2_000.0, grace=0.8
)


@dataclass
class Calls:
    """What the app saw: requests started and body bytes read to the end."""

    started: int = 0
    completed: int = 0


def make_app(calls: Calls) -> Any:
    """Reads the whole body, holds `/hold` requests for a second, answers the body's size."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        calls.started += 1
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            size += len(message.get("body", b""))
            if not message.get("more_body"):
                break
        if scope["path"] == "/hold":
            await asyncio.sleep(1.0)
        calls.completed += 1
        body = json.dumps({"size": size}).encode()
        headers = [(b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


def forged_aware_subject(scope: Scope) -> str | None:
    """Stands in for the web app's token check: only tokens starting `good-` are real."""
    token = bearer_token(scope)
    return token if token and token.startswith("good-") else None


@dataclass
class Served:
    port: int
    calls: Calls
    guard: AbuseGuard


def serve(guard_of: Any) -> Iterator[Served]:
    calls = Calls()
    guard = guard_of(make_app(calls))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(guard, http="h11", lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield Served(sock.getsockname()[1], calls, guard)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def served() -> Iterator[Served]:
    yield from serve(lambda app: AbuseGuard(app, LIMITS))


@pytest.fixture
def served_with_subjects() -> Iterator[Served]:
    yield from serve(lambda app: AbuseGuard(app, LIMITS, forged_aware_subject))


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    seconds: float
    headers: dict[str, str] = field(default_factory=dict)


CLOSED_MID_BODY = 0  # the connection was closed before the reply could be read


async def request(
    port: int,
    path: str = "/",
    token: str | None = None,
    body: bytes = b"",
    chunked: bool = False,
    declared: int | None = None,
    trickle: tuple[int, float] | None = None,
    cookie: str | None = None,
) -> Reply:
    """One POST over a fresh connection. `trickle=(n, pause)` sends the body n bytes at a
    time with a pause between pieces; `declared` overrides Content-Length."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [f"POST {path} HTTP/1.1", "Host: test"]
    if token:
        head.append(f"Authorization: Bearer {token}")
    if cookie:
        head.append(f"Cookie: {cookie}")
    if chunked:
        head.append("Transfer-Encoding: chunked")
    else:
        head.append(f"Content-Length: {len(body) if declared is None else declared}")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    sending = asyncio.create_task(_send_body(writer, body, chunked, trickle))
    # Read while sending: a refusal arrives (and the server closes) before the body is sent.
    try:
        status, payload, headers = await _read_reply(reader)
    except (BrokenPipeError, ConnectionResetError):
        # The server answered and closed while the body was still coming: the kernel may
        # then drop its answer with the connection (any HTTP client can see this).
        status, payload, headers = CLOSED_MID_BODY, {}, {}
    sending.cancel()
    await asyncio.gather(sending, return_exceptions=True)
    writer.close()
    return Reply(status, payload, time.monotonic() - started, headers)


async def _send_body(
    writer: asyncio.StreamWriter, body: bytes, chunked: bool, trickle: tuple[int, float] | None
) -> None:
    step, pause = trickle or (64 * 1024, 0.0)
    for i in range(0, len(body), step):
        piece = body[i : i + step]
        writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        await writer.drain()
        if pause:
            await asyncio.sleep(pause)
    if chunked:
        writer.write(b"0\r\n\r\n")
        await writer.drain()


async def _read_reply(
    reader: asyncio.StreamReader,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    data = await asyncio.wait_for(reader.read(1 << 20), timeout=10)
    while b"\r\n\r\n" not in data:
        more = await asyncio.wait_for(reader.read(1 << 20), timeout=10)
        if not more:
            break
        data += more
    head, _, rest = data.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        more = await asyncio.wait_for(reader.read(1 << 20), timeout=10)
        if not more:
            break
        rest += more
    status = int(head.split(b" ")[1])
    return status, json.loads(rest) if rest else {}, headers


def test_a_normal_upload_passes(served: Served) -> None:
    reply = asyncio.run(request(served.port, token="a", body=b"x" * 90_000))
    assert (reply.status, reply.body) == (200, {"size": 90_000})


def test_declared_oversize_body_is_refused_before_reading(served: Served) -> None:
    reply = asyncio.run(request(served.port, token="a", body=b"x" * 10, declared=200_000_000))
    assert reply.status == 413
    assert "over the" in reply.body["error"]
    assert served.calls.started == 0
    assert served.guard.refusals == {413: 1}


def test_chunked_oversize_body_is_counted_and_refused(served: Served) -> None:
    async def both() -> tuple[Reply, Reply]:
        big = request(served.port, token="big", body=b"x" * 300_000, chunked=True)
        fine = request(served.port, token="fine", body=b"y" * 50_000, chunked=True)
        return await asyncio.gather(big, fine)

    big, fine = asyncio.run(both())
    assert big.status in (413, CLOSED_MID_BODY)
    assert (fine.status, fine.body) == (200, {"size": 50_000})
    assert served.calls.completed == 1


def test_one_client_with_many_connections_is_limited_others_are_not(served: Served) -> None:
    async def crowd() -> tuple[list[Reply], Reply]:
        greedy = [request(served.port, "/hold", token="greedy", body=b"g") for _ in range(8)]
        other = request(served.port, "/hold", token="other", body=b"o")
        replies = await asyncio.gather(*greedy, other)
        return list(replies[:-1]), replies[-1]

    greedy, other = asyncio.run(crowd())
    statuses = sorted(r.status for r in greedy)
    assert statuses == [200] * LIMITS.per_client + [429] * (8 - LIMITS.per_client)
    assert all(r.seconds < 0.9 for r in greedy if r.status == 429)  # refused at once
    assert other.status == 200
    assert served.guard.active == {}


def test_a_stalled_body_times_out(served: Served) -> None:
    async def stall() -> Reply:
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        writer.write(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\nabc")
        await writer.drain()
        started = time.monotonic()
        status, body, _ = await _read_reply(reader)
        writer.close()
        return Reply(status, body, time.monotonic() - started)

    reply = asyncio.run(stall())
    assert reply.status == 408
    assert "stalled" in reply.body["error"]
    assert 0.5 <= reply.seconds < 3


def test_a_trickling_sender_is_cut_off_while_a_normal_one_is_served(served: Served) -> None:
    async def both() -> tuple[Reply, Reply]:
        slow = request(served.port, token="slow", body=b"s" * 2_000, trickle=(20, 0.1))
        await asyncio.sleep(0.3)
        fine = request(served.port, token="fine", body=b"f" * 80_000)
        return await asyncio.gather(slow, fine)

    slow, fine = asyncio.run(both())
    assert slow.status == 408
    assert "bytes/s" in slow.body["error"]
    assert LIMITS.grace <= slow.seconds < 5
    assert (fine.status, fine.body) == (200, {"size": 80_000})


def test_forged_tokens_count_as_their_address(served_with_subjects: Served) -> None:
    """Random tokens must not buy a client more slots: unverified ones share the peer's."""
    port = served_with_subjects.port

    async def crowd() -> tuple[list[Reply], Reply]:
        forged = [request(port, "/hold", token=f"forged-{i}", body=b"f") for i in range(6)]
        real = request(port, "/hold", token="good-alice", body=b"a")
        replies = await asyncio.gather(*forged, real)
        return list(replies[:-1]), replies[-1]

    forged, real = asyncio.run(crowd())
    assert sorted(r.status for r in forged) == [200] * 3 + [429] * 3
    assert real.status == 200


def test_serve_options_fit_under_the_descriptor_limit() -> None:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    after = raise_nofile_limit()
    assert after >= before
    options = serve_options(Settings(max_connections=1_000_000))
    assert options["limit_concurrency"] <= after - 512
    assert options["http"] == "h11"
    assert options["h11_max_incomplete_event_size"] == 16 * 1024


def test_limits_come_from_settings() -> None:
    settings = Settings(requests_per_client=5, max_request_bytes=1234, min_upload_rate=10)
    limits = RequestLimits.from_settings(settings)
    assert (limits.per_client, limits.max_body_bytes, limits.min_rate) == (5, 1234, 10.0)


SECRET = "limits-test-secret-key-that-is-long-enough-0123456789"


def session_app() -> Any:
    """A Starlette app with real signed session cookies: /login signs `alice` in."""

    async def login(request: Request) -> JSONResponse:
        request.session["u"] = "alice"
        return JSONResponse({"size": 0})

    async def hold(request: Request) -> JSONResponse:
        body = await request.body()
        await asyncio.sleep(1.0)
        return JSONResponse({"size": len(body)})

    return Starlette(
        routes=[Route("/login", login, methods=["POST"]), Route("/hold", hold, methods=["POST"])],
        middleware=[Middleware(SessionMiddleware, secret_key=SECRET, session_cookie="c")],
    )


@pytest.fixture
def served_with_credentials() -> Iterator[Served]:
    subject = credential_subject(lambda t: token_username(SECRET, t), SECRET, "c", 3600)
    yield from serve(lambda _: AbuseGuard(session_app(), LIMITS, subject))


def test_real_tokens_and_session_cookies_name_their_user(served_with_credentials: Served) -> None:
    """A minted token and a Starlette session cookie are one user each; forged ones of
    either kind share their peer address's allowance."""
    port = served_with_credentials.port
    login = asyncio.run(request(port, "/login"))
    cookie = login.headers["set-cookie"].split(";")[0]
    bob = mint_token(SECRET, "bob")

    async def crowd() -> tuple[list[int], list[int], list[int]]:
        alice = [request(port, "/hold", cookie=cookie) for _ in range(3)]
        bobs = [request(port, "/hold", token=bob) for _ in range(3)]
        forged = [request(port, "/hold", cookie=f"c=forged{i}") for i in range(2)]
        forged += [request(port, "/hold", token=f"forged.{i}") for i in range(2)]
        replies = await asyncio.gather(*alice, *bobs, *forged)
        codes = [r.status for r in replies]
        return codes[:3], codes[3:6], sorted(codes[6:])

    alice, bobs, forged = asyncio.run(crowd())
    assert alice == [200] * 3
    assert bobs == [200] * 3
    assert forged == [200] * 3 + [429]


def test_guard_app_reads_settings_and_knows_the_web_apps_credentials() -> None:
    guard = guard_app(make_app(Calls()), Settings(requests_per_client=2), SECRET)
    assert guard.limits.per_client == 2
    token = mint_token(SECRET, "carol").encode()
    scope = {"type": "http", "headers": [(b"authorization", b"Bearer " + token)]}
    assert guard.client_of(scope) == "subject:carol"
    forged = {
        "type": "http",
        "headers": [(b"authorization", b"Bearer x")],
        "client": ("1.2.3.4", 1),
    }
    assert guard.client_of(forged) == "peer:1.2.3.4"
