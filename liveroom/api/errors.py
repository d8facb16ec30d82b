"""The one mapping of domain refusals to HTTP statuses, for every protocol.

Not found 404; an illegal move or a lost race 409; not allowed 403 (logged); a passing
condition (`TryAgain`: not yet replicated, the same key's first attempt still running,
Redis unreachable, the archive unavailable) 503 with a Retry-After, which clients send
again after; a bad command `invalid`: 422 on the JSON APIs, 400 where the protocol says so
(Open311, the downloads). Each protocol words the refusal in its own format; an
`ArchiveUnavailable` no route caught is `archive_refusal`'s, a Redis connection error
`live_refusal`'s.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from liveroom.access import Forbidden
from liveroom.domain.errors import (
    ArchiveUnavailable,
    ConcurrencyConflict,
    DomainError,
    IllegalTransition,
    LiveUnavailable,
    NotFound,
    TryAgain,
)

log = logging.getLogger("liveroom.access")
STATUS: dict[type[DomainError], int] = {NotFound: 404, IllegalTransition: 409,
                                        ConcurrencyConflict: 409, Forbidden: 403,
                                        TryAgain: 503}
#: seconds a client is asked to wait before trying again after a 503
RETRY_AFTER = 5


class Refusal(BaseModel):
    """A refused request on the JSON APIs: a stable `code`, a `message` for people, and
    the message's values (`params`), when it has any."""

    code: str
    message: str
    params: dict[str, Any] | None = None


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Invalid(BaseModel):
    """A body, query or path that is not what the route takes: each problem's place and
    reason (never the value sent)."""

    detail: list[Problem]


#: what each refusal status means on the JSON APIs (`refusals` declares them per route)
MEANING = {401: "no valid API token (or page session with its CSRF header)",
           403: "not allowed for this user", 404: "no such thing",
           409: "an illegal move, or someone changed it first (`expected_version`)",
           413: "the body is larger than the limit", 422: "a bad command (`code` says which "
           "rule), or a body, query or path that is not what the route takes",
           503: "not now, retry after `Retry-After`: written but not acknowledged, no "
           "replica confirmed it in time (`not_replicated`, `LIVEROOM_REDIS_MIN_REPLICAS`); "
           "the live store unreachable, a failover under way (`live_unavailable`); or the "
           "archive down, for what reads it (`archive_unavailable`)"}


def refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a JSON route: each status with its meaning and shape (422: a
    refusal or a validation problem; 503 on every route: Redis may be away)."""
    return {status: {"description": MEANING[status],
                     "model": Refusal | Invalid if status == 422 else Refusal}
            for status in sorted({*statuses, 503})}


def http_status(exc: DomainError, *, invalid: int = 422) -> int:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), invalid)
    if status == 403:
        log.warning("refused: %s", exc)
    return status


def json_refusal(exc: DomainError, *, invalid: int = 422) -> JSONResponse:
    """`{"code", "message", "params"?}` with the refusal's status (a 503 with when to try
    again)."""
    status = http_status(exc, invalid=invalid)
    return JSONResponse({"code": exc.code, "message": str(exc),
                         **({"params": exc.params} if exc.params else {})}, status,
                        headers={"Retry-After": str(RETRY_AFTER)} if status == 503 else None)


async def archive_refusal(_request: Request, exc: ArchiveUnavailable) -> JSONResponse:
    """What reads the archive, with the archive down: `{"code": "archive_unavailable"}`,
    503 and a Retry-After (the live room goes on meanwhile)."""
    return json_refusal(exc)


#: what redis-py raises when the server is gone or a failover is under way
REDIS_UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError)


async def live_refusal(_request: Request, _exc: Exception) -> JSONResponse:
    """Redis unreachable under a request no route caught it in: `{"code":
    "live_unavailable"}`, 503 and a Retry-After, never a 500 with a traceback."""
    return json_refusal(LiveUnavailable())


async def validation_refusal(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body or query that is not what a route takes: 422 with each problem's place and
    reason, never the value sent (hostile, maybe huge, maybe no JSON at all: a NaN made
    FastAPI's own answer a 500)."""
    return JSONResponse({"detail": [{"loc": list(error.get("loc", ())),
                                     "msg": str(error.get("msg", "")),
                                     "type": str(error.get("type", ""))}
                                    for error in exc.errors()]}, 422)


async def unreadable_body(request: Request, exc: HTTPException) -> Response:
    """A body the JSON API cannot even read (not UTF-8, a broken multipart form; FastAPI and
    Starlette answer 400 with their own words): 422 like any body that is not what the
    route takes, in the same shape. Elsewhere, their answer."""
    if exc.status_code == 400 and request.url.path.startswith("/api/"):
        return JSONResponse({"detail": [{"loc": ["body"], "msg": str(exc.detail),
                                         "type": "body_unreadable"}]}, 422)
    return await http_exception_handler(request, exc)
