"""The one mapping of domain refusals to HTTP statuses, for every protocol.

Not found 404; an illegal move or a lost race 409; not allowed 403 (logged); a passing
condition (not yet replicated, the same key's first attempt still running) 503, which
clients send again after; a bad command `invalid`: 422 on the JSON APIs, 400 where the
protocol says so (Open311, the downloads). Each protocol words the refusal in its own format.
"""

from __future__ import annotations

import logging

from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from liveroom.access import Forbidden
from liveroom.domain.errors import (
    ConcurrencyConflict,
    DomainError,
    IllegalTransition,
    NotFound,
    TryAgain,
)

log = logging.getLogger("liveroom.access")
STATUS: dict[type[DomainError], int] = {NotFound: 404, IllegalTransition: 409,
                                        ConcurrencyConflict: 409, Forbidden: 403,
                                        TryAgain: 503}


def http_status(exc: DomainError, *, invalid: int = 422) -> int:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), invalid)
    if status == 403:
        log.warning("refused: %s", exc)
    return status


def json_refusal(exc: DomainError, *, invalid: int = 422) -> JSONResponse:
    """`{"code", "message", "params"?}` with the refusal's status."""
    return JSONResponse({"code": exc.code, "message": str(exc),
                         **({"params": exc.params} if exc.params else {})},
                        http_status(exc, invalid=invalid))


async def validation_refusal(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body or query that is not what a route takes: 422 with each problem's place and
    reason, never the value sent (hostile, maybe huge, maybe no JSON at all: a NaN made
    FastAPI's own answer a 500)."""
    return JSONResponse({"detail": [{"loc": list(error.get("loc", ())),
                                     "msg": str(error.get("msg", "")),
                                     "type": str(error.get("type", ""))}
                                    for error in exc.errors()]}, 422)
