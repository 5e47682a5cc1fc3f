"""The surge's clients, all in one asyncio loop: the precincts' uploads at random moments of
the window, thousands of idle or slow connections, and three abusive clients.

Idle and slow connections, by kind (an equal share each):
- `silent`: connects and never sends a byte;
- `keep-alive`: asks one question (GET a photo's status), then keeps the connection open;
- `slow-head`: sends a request head one byte every two seconds, never finishing it;
- `slow-body`: declares a 4 MB upload and sends five bytes a second.
Each is held until the uploads are done, unless the server answers or closes it first.

Abusive clients, from a quarter of the way through the window: one token opening
`crowd` connections at once, a 200 MB body (declared, and chunked), and one slow sender.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import uvloop

from bench.http import (
    Sent,
    error_kind,
    exchange,
    read_reply,
    request_head,
    send_bytes,
)

IDLE_KINDS = ("silent", "keep-alive", "slow-head", "slow-body")
IDLE_LAST_CHANCE_SECONDS = 3.0
HUGE_BYTES = 200_000_000


@dataclass(frozen=True)
class Upload:
    index: int
    path: Path
    precinct: str
    sha256: str
    token: str
    at: float


@dataclass(frozen=True)
class Plan:
    port: int
    window: float
    uploads: list[Upload]
    idle_tokens: list[str]
    abuse_tokens: dict[str, str]
    abuse_photo: bytes
    crowd: int
    timeout: float = 120.0


@dataclass
class UploadOutcome:
    index: int
    sha256: str
    at: float
    latency: float | None = None
    status: int | None = None
    answer: str | None = None
    answered_sha256: str | None = None
    error: str | None = None
    started: float = 0.0

    @property
    def acknowledged(self) -> bool:
        return self.status == 202 and self.answered_sha256 == self.sha256


@dataclass
class Outcomes:
    uploads: list[UploadOutcome] = field(default_factory=list)
    idle: dict[str, Counter[str]] = field(default_factory=dict)
    idle_seconds: dict[str, list[float]] = field(default_factory=dict)
    abuse: dict[str, object] = field(default_factory=dict)
    window_started: float = 0.0
    window_ended: float = 0.0
    abuse_started: float = 0.0
    abuse_ended: float = 0.0
    uploads_done: float = 0.0
    idle_opened_seconds: float = 0.0


def run_clients(plan: Plan) -> Outcomes:
    """Run the whole surge on uvloop (installed with uvicorn[standard]): less client CPU on
    the cores the server shares."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_surge(plan))


async def _surge(plan: Plan) -> Outcomes:
    outcomes = Outcomes()
    finished = asyncio.Event()
    opened = time.monotonic()
    idle = await _open_idle(plan, finished, outcomes)
    outcomes.idle_opened_seconds = time.monotonic() - opened
    outcomes.window_started = time.monotonic()
    uploads = [asyncio.create_task(_upload(plan, u, outcomes)) for u in plan.uploads]
    abuse = asyncio.create_task(_abuse(plan, outcomes))
    await asyncio.sleep(plan.window)
    outcomes.window_ended = time.monotonic()
    await asyncio.gather(*uploads)
    outcomes.uploads_done = time.monotonic()
    await abuse
    # A last moment for the guard to answer slow bodies that are still trickling: on a
    # loaded machine a tiny run can otherwise end before their rate is judged.
    await asyncio.sleep(IDLE_LAST_CHANCE_SECONDS)
    finished.set()
    await asyncio.gather(*idle)
    return outcomes


async def _upload(plan: Plan, upload: Upload, outcomes: Outcomes) -> None:
    await asyncio.sleep(upload.at)
    data = await asyncio.to_thread(upload.path.read_bytes)
    outcome = UploadOutcome(upload.index, upload.sha256, upload.at)
    outcomes.uploads.append(outcome)
    head = request_head(
        "POST",
        f"/api/photos?precinct={upload.precinct}",
        {
            "Authorization": f"Bearer {upload.token}",
            "Content-Type": "image/jpeg",
            "Content-Length": str(len(data)),
        },
    )
    outcome.started = time.monotonic()
    try:
        reply = await exchange(plan.port, head, send_bytes(data, Sent()), plan.timeout)
    except Exception as exc:
        outcome.error = error_kind(exc)
        return
    outcome.latency = time.monotonic() - outcome.started
    outcome.status = reply.status
    body = _json_or_none(reply.body)
    if isinstance(body, dict):
        outcome.answer = str(body.get("status") or body.get("error") or "")[:200]
        outcome.answered_sha256 = body.get("sha256")


def _json_or_none(body: bytes) -> object:
    try:
        return json.loads(body)
    except ValueError:
        return None


async def _open_idle(
    plan: Plan, finished: asyncio.Event, outcomes: Outcomes
) -> list[asyncio.Task[None]]:
    """Open the idle connections in batches (so the opening is not itself a SYN flood)."""
    tasks: list[asyncio.Task[None]] = []
    for kind in IDLE_KINDS:
        outcomes.idle[kind] = Counter()
        outcomes.idle_seconds[kind] = []
    for i, token in enumerate(plan.idle_tokens):
        kind = IDLE_KINDS[i % len(IDLE_KINDS)]
        tasks.append(asyncio.create_task(_idle(plan.port, kind, token, finished, outcomes)))
        if i % 200 == 199:
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    return tasks


async def _idle(
    port: int, kind: str, token: str, finished: asyncio.Event, outcomes: Outcomes
) -> None:
    started = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError as exc:
        outcomes.idle[kind][f"could not connect: {error_kind(exc)}"] += 1
        return
    talker = asyncio.create_task(_talk(kind, token, writer))
    if kind == "keep-alive":
        outcomes.idle[kind][await _first_answer(reader)] += 1
    listener = asyncio.create_task(reader.read(65536))
    ended = asyncio.create_task(finished.wait())
    done, _ = await asyncio.wait({listener, ended}, return_when=asyncio.FIRST_COMPLETED)
    result = _idle_result(listener, done)
    outcomes.idle[kind][result] += 1
    if result != "held to the end":
        outcomes.idle_seconds[kind].append(time.monotonic() - started)
    for task in (talker, listener, ended):
        task.cancel()
    await asyncio.gather(talker, listener, ended, return_exceptions=True)
    writer.close()


async def _first_answer(reader: asyncio.StreamReader) -> str:
    """The keep-alive connection's one question: read its whole answer."""
    try:
        reply = await asyncio.wait_for(read_reply(reader), 60)
    except Exception as exc:
        return f"first question failed: {error_kind(exc)}"
    return f"first question answered {reply.status}"


def _idle_result(listener: asyncio.Task[bytes], done: set[asyncio.Task[object]]) -> str:
    if listener not in done:
        return "held to the end"
    if listener.exception() is not None:
        return f"error: {error_kind(listener.exception())}"  # type: ignore[arg-type]
    data = listener.result()
    return f"answered {_status_of(data)}" if data else "closed by the server"


def _status_of(data: bytes) -> str:
    parts = data.split(b" ", 2)
    return parts[1].decode("latin-1") if len(parts) > 1 and data.startswith(b"HTTP/") else "?"


async def _talk(kind: str, token: str, writer: asyncio.StreamWriter) -> None:
    """What each idle kind sends (until cancelled)."""
    auth = f"Authorization: Bearer {token}\r\n"
    if kind == "keep-alive":
        target = "/api/photos/" + "0" * 64
        writer.write(f"GET {target} HTTP/1.1\r\nHost: canvass\r\n{auth}\r\n".encode())
    elif kind == "slow-head":
        writer.write(b"POST /api/photos HTTP/1.1\r\nHost: canvass\r\nX-Slow: ")
        while True:
            await asyncio.sleep(2.0)
            writer.write(b"a")
            await writer.drain()
    elif kind == "slow-body":
        head = f"POST /api/photos HTTP/1.1\r\nHost: canvass\r\n{auth}"
        head += "Content-Type: image/jpeg\r\nContent-Length: 4000000\r\n\r\n"
        writer.write(head.encode())
        writer.write(b"\xff\xd8\xff")
        while True:
            await asyncio.sleep(1.0)
            writer.write(os.urandom(5))
            await writer.drain()
    await writer.drain()


async def _abuse(plan: Plan, outcomes: Outcomes) -> None:
    await asyncio.sleep(plan.window / 4)
    outcomes.abuse_started = time.monotonic()
    await asyncio.gather(
        _crowd(plan, outcomes),
        _huge(plan, outcomes, chunked=False),
        _huge(plan, outcomes, chunked=True),
        _slow_sender(plan, outcomes),
    )
    outcomes.abuse_ended = time.monotonic()


async def _crowd(plan: Plan, outcomes: Outcomes) -> None:
    """One token, `crowd` connections at once, each uploading a photo."""
    head = request_head(
        "POST",
        "/api/photos",
        {
            "Authorization": f"Bearer {plan.abuse_tokens['crowd']}",
            "Content-Type": "image/jpeg",
            "Content-Length": str(len(plan.abuse_photo)),
        },
    )

    async def one() -> str:
        try:
            reply = await exchange(
                plan.port, head, send_bytes(plan.abuse_photo, Sent()), plan.timeout
            )
        except Exception as exc:
            return f"error: {error_kind(exc)}"
        return str(reply.status)

    started = time.monotonic()
    statuses = Counter(await asyncio.gather(*(one() for _ in range(plan.crowd))))
    outcomes.abuse["crowd"] = {
        "connections": plan.crowd,
        "statuses": dict(statuses),
        "seconds": round(time.monotonic() - started, 2),
    }


async def _huge(plan: Plan, outcomes: Outcomes, chunked: bool) -> None:
    """A 200 MB body sent as fast as loopback allows: declared, or chunked (undeclared)."""
    headers = {
        "Authorization": f"Bearer {plan.abuse_tokens['huge']}",
        "Content-Type": "image/jpeg",
    }
    headers["Transfer-Encoding" if chunked else "Content-Length"] = (
        "chunked" if chunked else str(HUGE_BYTES)
    )
    sent = Sent()
    piece = b"\xff" * (1 << 20)

    async def sender(writer: asyncio.StreamWriter) -> None:
        for _ in range(HUGE_BYTES // len(piece)):
            writer.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await writer.drain()
            sent.bytes += len(piece)
        if chunked:
            writer.write(b"0\r\n\r\n")

    started = time.monotonic()
    head = request_head("POST", "/api/photos", headers)
    try:
        reply = await exchange(plan.port, head, sender, plan.timeout)
        result = str(reply.status)
    except Exception as exc:
        result = f"error: {error_kind(exc)}"
    outcomes.abuse["huge_chunked" if chunked else "huge_declared"] = {
        "answer": result,
        "seconds": round(time.monotonic() - started, 2),
        "bytes_sent_before_answer": sent.bytes,
    }


async def _slow_sender(plan: Plan, outcomes: Outcomes) -> None:
    """A real photo at 50 bytes a second."""
    data = plan.abuse_photo
    head = request_head(
        "POST",
        "/api/photos",
        {
            "Authorization": f"Bearer {plan.abuse_tokens['slow']}",
            "Content-Type": "image/jpeg",
            "Content-Length": str(len(data)),
        },
    )
    sent = Sent()
    started = time.monotonic()
    try:
        reply = await exchange(plan.port, head, send_bytes(data, sent, 50, 1.0), plan.timeout)
        result = str(reply.status)
    except Exception as exc:
        result = f"error: {error_kind(exc)}"
    outcomes.abuse["slow_sender"] = {
        "answer": result,
        "seconds": round(time.monotonic() - started, 2),
        "bytes_sent_before_answer": sent.bytes,
    }
