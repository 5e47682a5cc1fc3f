"""A minimal HTTP/1.1 client on asyncio streams, for thousands of simultaneous sockets.

httpx's pool and its per-request machinery cost more CPU than the server's own work when
one process drives 4,000 connections on the same two cores; raw streams cost a socket and
a task each. The reply is read *while* the body is sent: a server that refuses early (413,
429, 408) answers and closes before the body is through, and that answer must be seen.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

BodySender = Callable[[asyncio.StreamWriter], Coroutine[Any, Any, None]]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Sent:
    """Bytes of the body written so far (for clients refused part-way)."""

    bytes: int = 0
    done: bool = False
    errors: list[str] = field(default_factory=list)


def request_head(method: str, target: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {target} HTTP/1.1",
        "Host: canvass",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def send_bytes(data: bytes, sent: Sent, piece: int = 256 * 1024, pause: float = 0.0) -> BodySender:
    """Send `data` in pieces (with a pause between them, for slow senders)."""

    async def sender(writer: asyncio.StreamWriter) -> None:
        for start in range(0, len(data), piece):
            writer.write(data[start : start + piece])
            await writer.drain()
            sent.bytes += min(piece, len(data) - start)
            if pause:
                await asyncio.sleep(pause)
        sent.done = True

    return sender


async def exchange(
    port: int, head: bytes, body: BodySender | None, timeout: float, host: str = "127.0.0.1"
) -> Reply:
    """One request on a new connection; raises OSError/TimeoutError/IncompleteReadError."""
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(head)
        sending: asyncio.Task[None] | None = None
        if body is not None:
            sending = asyncio.create_task(body(writer))
        try:
            return await asyncio.wait_for(read_reply(reader), timeout)
        finally:
            if sending is not None:
                sending.cancel()
                await asyncio.gather(sending, return_exceptions=True)
    finally:
        writer.close()


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        return Reply(status, headers, await _read_chunked(reader))
    length = int(headers.get("content-length", "0"))
    return Reply(status, headers, await reader.readexactly(length) if length else b"")


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return bytes(body)
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def error_kind(exc: BaseException) -> str:
    """A short name for what went wrong on the client's side of one exchange."""
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "closed before answering"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset"
    if isinstance(exc, BrokenPipeError):
        return "broken pipe"
    return type(exc).__name__
