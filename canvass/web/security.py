"""Security headers on every answer (a pure ASGI middleware).

Pages carry a Content-Security-Policy with no inline script or style (all JavaScript is in
/static), may not be framed, and are not stored by browsers or proxies (they show election
data and photos). Static files may be cached but are revalidated. The OpenAPI page (Swagger
UI, served from our own origin) needs its one inline start-up script, so it alone allows it.
A certified report (`/certify/<scope>/files/report.html`) is one self-contained file with
its style inline; its policy is the pages' with that one style allowed by its SHA-256
(`canvass.report.REPORT_STYLE_HASH`): no other inline style, and still no script.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from canvass.report import REPORT_STYLE_HASH

PAGE_POLICY = (
    "default-src 'self'; img-src 'self' blob: data:; script-src 'self'; style-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
DOCS_POLICY = (
    "default-src 'self'; img-src 'self' data:; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'"
)
REPORT_POLICY = PAGE_POLICY.replace("style-src 'self';", f"style-src 'self' '{REPORT_STYLE_HASH}';")
COMMON = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        policy = policy_for(path)
        cache = b"no-cache" if path.startswith(("/static/", "/docs-assets/")) else b"no-store"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in (b"cache-control", b"content-security-policy")
                ]
                headers += [*COMMON, (b"content-security-policy", policy.encode())]
                headers.append((b"cache-control", cache))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def policy_for(path: str) -> str:
    """The Content-Security-Policy of the answer at `path`."""
    if path == "/docs":
        return DOCS_POLICY
    if path.startswith("/certify/") and path.endswith("/files/report.html"):
        return REPORT_POLICY
    return PAGE_POLICY
