"""Abuse limits for the web server: a pure ASGI middleware, and the uvicorn options it assumes.

Election night is every precinct uploading within the same minute, over bad phone links; one
misbehaving client (a script opening hundreds of connections, a 200 MB body, a sender that
trickles a few bytes a second) must not take capacity from the others. `AbuseGuard` limits,
per request and without reading anything it does not have to:

- how many requests one client may have open at once (429): a client is its authenticated
  subject when the app says who that is (`subject_of`), else its bearer token (by digest),
  else its peer address. Behind a proxy, or on loopback, every peer address is the same, so
  legitimate clients are told apart only by their credentials;
- the request body's size (413): refused from Content-Length before a byte is read, and
  counted as it streams for chunked bodies;
- how slowly a body may arrive (408): a per-chunk receive timeout, and a minimum average rate
  once a grace period has passed. Only time spent waiting on the client counts: while the app
  is busy, uvicorn buffers (and then pauses reading), which is not the client's fault.

A refusal is answered by the guard itself with a JSON error and `connection: close`; the app
then sees `http.disconnect` from `receive`, and whatever it tries to send afterwards is
dropped, so the guard works with any framework (Starlette's error middleware included).

`guard_app` wraps the web app with a guard whose `subject_of` (`credential_subject`) checks
API tokens and session cookies, so one user's browser and scripts share one allowance.

What an ASGI middleware cannot see -- connections that never finish their headers -- is
bounded by the server: `serve_options` caps the open connections (`limit_concurrency`, 503
beyond it) below the raised file-descriptor limit, and the h11 parser caps header size.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
from base64 import b64decode
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner

from canvass.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
SubjectOf = Callable[[Scope], str | None]

DISCONNECT: Message = {"type": "http.disconnect"}
FD_RESERVE = 512  # descriptors kept for the database, blobs, logs and worker pipes


@dataclass(frozen=True)
class RequestLimits:
    """The limits one `AbuseGuard` applies; `from_settings` reads them from Settings."""

    per_client: int
    max_body_bytes: int
    receive_timeout: float
    min_rate: float
    grace: float

    @classmethod
    def from_settings(cls, settings: Settings) -> RequestLimits:
        return cls(
            per_client=settings.requests_per_client,
            max_body_bytes=settings.max_request_bytes,
            receive_timeout=settings.receive_timeout_seconds,
            min_rate=float(settings.min_upload_rate),
            grace=settings.slow_upload_grace_seconds,
        )


class Refusal(Exception):
    """Why a request is refused: the HTTP status and the message for the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class AbuseGuard:
    """ASGI middleware applying `RequestLimits` to every HTTP request (other scopes pass).

    `subject_of(scope)` may name the authenticated user (e.g. by verifying the bearer token or
    the session cookie); then forged tokens count as their peer address, not as new clients.
    `refusals` counts refusals by status, for the server's own report.
    """

    def __init__(
        self, app: ASGIApp, limits: RequestLimits, subject_of: SubjectOf | None = None
    ) -> None:
        self.app = app
        self.limits = limits
        self.subject_of = subject_of
        self.active: dict[str, int] = {}
        self.refusals: dict[int, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = self.client_of(scope)
        try:
            self._admit(scope, key)
        except Refusal as refusal:
            self.refusals[refusal.status] = self.refusals.get(refusal.status, 0) + 1
            await send_refusal(send, refusal)
            return
        self.active[key] = self.active.get(key, 0) + 1
        try:
            await self._guarded(scope, receive, send)
        finally:
            self._release(key)

    def client_of(self, scope: Scope) -> str:
        """Who is asking: the app's subject, else the bearer token's digest, else the peer."""
        if self.subject_of is not None:
            subject = self.subject_of(scope)
            if subject:
                return f"subject:{subject}"
            return peer_of(scope)
        token = bearer_token(scope)
        if token:
            return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
        return peer_of(scope)

    def _admit(self, scope: Scope, key: str) -> None:
        declared = content_length(scope)
        if declared is not None and declared > self.limits.max_body_bytes:
            raise Refusal(413, too_large(self.limits.max_body_bytes))
        if self.active.get(key, 0) >= self.limits.per_client:
            raise Refusal(
                429,
                f"too many requests at once from one client (at most {self.limits.per_client}):"
                " wait for an answer before sending more",
            )

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = _Exchange(receive, send, self.limits)
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            if exchange.refused is None:
                raise
        if exchange.refused is not None:
            status = exchange.refused
            self.refusals[status] = self.refusals.get(status, 0) + 1

    def _release(self, key: str) -> None:
        left = self.active.get(key, 1) - 1
        if left > 0:
            self.active[key] = left
        else:
            self.active.pop(key, None)


class _Exchange:
    """One request's receive/send pair, watched: body size, per-chunk timeout, average rate.
    On a refusal it answers the client itself and tells the app the client has gone."""

    def __init__(self, receive: Receive, send: Send, limits: RequestLimits) -> None:
        self._receive = receive
        self._send = send
        self.limits = limits
        self.received = 0
        self.waited = 0.0
        self.response_started = False
        self.refused: int | None = None

    async def receive(self) -> Message:
        if self.refused is not None:
            return dict(DISCONNECT)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            message = await asyncio.wait_for(self._receive(), self.limits.receive_timeout)
        except TimeoutError:
            await self._refuse(
                Refusal(
                    408,
                    f"nothing arrived for {self.limits.receive_timeout:g} s: the upload stalled;"
                    " send it again on a better connection",
                )
            )
            return dict(DISCONNECT)
        self.waited += loop.time() - started
        if message["type"] == "http.request":
            try:
                self._check(message)
            except Refusal as refusal:
                await self._refuse(refusal)
                return dict(DISCONNECT)
        return message

    def _check(self, message: Message) -> None:
        self.received += len(message.get("body", b""))
        if self.received > self.limits.max_body_bytes:
            raise Refusal(413, too_large(self.limits.max_body_bytes))
        more = bool(message.get("more_body", False))
        if more and self.waited > self.limits.grace:
            rate = self.received / self.waited
            if rate < self.limits.min_rate:
                raise Refusal(
                    408,
                    f"the upload is arriving at {rate:.0f} bytes/s, under the"
                    f" {self.limits.min_rate:.0f} bytes/s minimum: send it again on a better"
                    " connection",
                )

    async def send(self, message: Message) -> None:
        if self.refused is not None:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
        await self._send(message)

    async def _refuse(self, refusal: Refusal) -> None:
        self.refused = refusal.status
        if not self.response_started:
            self.response_started = True
            await send_refusal(self._send, refusal)


async def send_refusal(send: Send, refusal: Refusal) -> None:
    """A JSON error `{"error": ...}` that closes the connection (the body may be unread)."""
    body = json.dumps({"error": refusal.message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    if refusal.status == 429:
        headers.append((b"retry-after", b"1"))
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def too_large(limit: int) -> str:
    return (
        f"the request body is over the {limit / 1e6:.0f} MB limit:"
        " send the photo at the phone's normal size"
    )


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def content_length(scope: Scope) -> int | None:
    """The declared body size; a malformed value counts as absent (the server refuses it)."""
    value = header(scope, b"content-length")
    if value is None or not value.strip().isdigit():
        return None
    return int(value)


def bearer_token(scope: Scope) -> str | None:
    value = header(scope, b"authorization")
    if value is None:
        return None
    scheme, _, token = value.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def peer_of(scope: Scope) -> str:
    client = scope.get("client")
    return f"peer:{client[0]}" if client else "peer:unknown"


def credential_subject(
    verify_token: Callable[[str], str | None],
    secret_key: str,
    session_cookie: str,
    session_max_age: int,
    session_key: str = "u",
) -> SubjectOf:
    """`subject_of` for the web app: the user a bearer token was minted for (checked by
    `verify_token`), else the user of a signed session cookie (checked the way Starlette's
    SessionMiddleware signs it: itsdangerous TimestampSigner over base64 JSON). A forged or
    expired credential names no one, so its requests count against their peer address."""
    signer = TimestampSigner(secret_key)

    def subject(scope: Scope) -> str | None:
        token = bearer_token(scope)
        if token:
            return verify_token(token)
        cookie = cookie_value(scope, session_cookie)
        if cookie is None:
            return None
        try:
            data = json.loads(b64decode(signer.unsign(cookie.encode(), max_age=session_max_age)))
        except (BadSignature, ValueError):
            return None
        name = data.get(session_key) if isinstance(data, dict) else None
        return name if isinstance(name, str) else None

    return subject


def guard_app(app: ASGIApp, settings: Settings, secret_key: str) -> AbuseGuard:
    """The web app behind an `AbuseGuard` that knows its tokens and session cookies."""
    from canvass.web.app import SESSION_COOKIE, SESSION_SECONDS
    from canvass.web.auth import token_username

    subject = credential_subject(
        lambda token: token_username(secret_key, token), secret_key, SESSION_COOKIE, SESSION_SECONDS
    )
    return AbuseGuard(app, RequestLimits.from_settings(settings), subject)


def cookie_value(scope: Scope, name: str) -> str | None:
    raw = header(scope, b"cookie")
    if raw is None:
        return None
    for part in raw.decode("latin-1").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def raise_nofile_limit() -> int:
    """Raise this process's open-file soft limit to its hard limit; return the new soft limit.
    Every connection is a descriptor: the default soft limit (often 1024) would refuse
    connections long before `max_connections`."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65_536)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def serve_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `uvicorn.run`/`uvicorn.Config` in `canvass serve`.

    Raises the descriptor limit first (a side effect, so call it only at serve start) and
    keeps the connection cap under it. h11 (not httptools) because it bounds the size of a
    request head (`h11_max_incomplete_event_size`): the C parser accepts headers without end.
    """
    nofile = raise_nofile_limit()
    return {
        "http": "h11",
        "limit_concurrency": max(16, min(settings.max_connections, nofile - FD_RESERVE)),
        "backlog": 4096,
        "timeout_keep_alive": 15,
        "h11_max_incomplete_event_size": 16 * 1024,
        "timeout_graceful_shutdown": 10,
    }
