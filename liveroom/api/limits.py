"""Body size limits for every endpoint, enforced before anything parses the body.

A request says its size (`Content-Length`) or is counted as it arrives; past its path's
limit it is answered 413 in that path's own format and never reaches the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


@dataclass(frozen=True)
class Limit:
    """Bodies of requests whose path starts with `prefix` may have up to `max_bytes` (or
    what it answers, read at each request); `refuse(request, max_bytes)` answers one more."""

    prefix: str
    max_bytes: int | Callable[[], int]
    refuse: Callable[[Request, int], Response] | None = None

    @property
    def bytes(self) -> int:
        return self.max_bytes() if callable(self.max_bytes) else self.max_bytes


def too_large(_request: Request, max_bytes: int) -> Response:
    """The JSON APIs' refusal (`errors.Refusal`)."""
    return JSONResponse({"code": "too_large",
                         "message": f"the body is larger than {max_bytes} bytes"}, 413)


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: the first of `limits` whose prefix the path starts with applies,
    else `default` bytes."""

    def __init__(self, app: ASGIApp, limits: list[Limit],
                 default: int | Callable[[], int]) -> None:
        self.app, self.limits, self.default = app, limits, Limit("", default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = next((limit for limit in self.limits if scope["path"].startswith(
            limit.prefix)), self.default)
        max_bytes = limit.bytes

        async def refuse() -> None:
            answer = (limit.refuse or too_large)(Request(scope), max_bytes)
            await answer(scope, receive, send)

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > max_bytes):
            return await refuse()
        received, started = 0, False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _TooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await refuse()
