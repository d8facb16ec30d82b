"""Who is asking: one ASGI middleware in front of everything (pages, Dash callbacks,
websockets, JSON APIs). It authenticates; the services authorize.

- `/api/v1/…` needs `Authorization: Bearer <API token>`, or the session cookie with its
  CSRF token in `X-CSRF-Token` (the officer's phone page); 401 otherwise.
- Pages, Dash callbacks and the Dash websocket need a session cookie: pages
  redirect to `/login`, the rest get 401 (the websocket closes with 4401).
- `?kiosk=<link secret>` on a page signs a wall screen in and drops the secret
  from the address.
- Sessions live in Redis: a screen signed in stays so while the archive is down. Bearer
  secrets live in the archive; while it is down, those read since they last changed are
  known from Redis (`commands.accounts.credential_principal`), others answer 503.
- `/api/v1/docs` (Swagger UI) is a page: a session, else to `/login`.
- Static files, `/login`, `/healthz`, `/open311` (its own API keys), `/osmand` (trackers
  are known by their device id), `/ws/device` (its first message is the device token),
  the citizen's pages (`/lapor`, `/media/`), the chat webhooks (`/hooks/`: each checks its
  provider's signature), the phone pages' service workers and the API's OpenAPI document
  (`/api/v1/openapi.json`) are public.

Every response carries security headers; every refusal is logged.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from contextvars import ContextVar
from urllib.parse import parse_qsl, urlencode, urlparse

import anyio
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liveroom.access import Forbidden, Principal
from liveroom.access import sessions as session_store
from liveroom.access.secrets import digest
from liveroom.api.errors import REDIS_UNREACHABLE, RETRY_AFTER, json_refusal
from liveroom.api.templates import page_language
from liveroom.commands.accounts import credential_principal
from liveroom.domain.errors import ArchiveUnavailable, LiveUnavailable
from liveroom.i18n import translate
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.access")

SESSION_COOKIE = "lr_session"
PUBLIC_PREFIXES = ("/login", "/healthz", "/assets/", "/_dash-component-suites/",
                   "/_favicon.ico", "/favicon.ico", "/open311/", "/lapor", "/media/",
                   "/osmand", "/hooks/", "/ws/device", "/field/sw.js", "/siaga/sw.js",
                   "/api/v1/openapi.json")
#: pages under `/api/` (a browser's session, not a token)
API_PAGES = ("/api/v1/docs",)
_current: ContextVar[Principal | None] = ContextVar("principal", default=None)
_session: ContextVar[str | None] = ContextVar("session", default=None)


def client_address(request) -> str:
    """The address a request came from (what throttles and rate limits count by)."""
    return request.client.host if request.client else "?"


def cross_site(connection: HTTPConnection) -> bool:
    """Whether a websocket was opened by another site's page (cross-site websocket
    hijacking: the browser sends our cookie along); no Origin: not a browser's page."""
    origin = connection.headers.get("origin")
    return bool(origin) and urlparse(origin).netloc != connection.headers.get("host")


def current_principal() -> Principal:
    """The principal of the request or websocket being served; Forbidden if none."""
    principal = _current.get()
    if principal is None:
        raise Forbidden("not signed in")
    return principal


def csrf_token(session_token: str | None = None) -> str:
    """The form token that goes with a session (double submit, derived, nothing stored)."""
    token = session_token if session_token is not None else _session.get()
    return digest("csrf:" + (token or ""))[:32]


def security_headers(room: LiveRoom, script_hashes: Sequence[str] = ()) -> list[
        tuple[bytes, bytes]]:
    """Scripts only from this server and, inline, only those whose hash is listed (Dash's
    own, `Dash.csp_hashes()`); connections only back to it; images from it and the tile
    server, if one is configured."""
    tiles = ""
    if room.city.tile_url:  # the tile server, if configured, may serve images
        parsed = urlparse(room.city.tile_url.replace("{s}", "*"))
        tiles = f" {parsed.scheme}://{parsed.netloc}"
    inline = "".join(f" {h}" for h in script_hashes)  # (quoted already)
    policy = (
        f"default-src 'self'; script-src 'self'{inline}; "
        f"style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:{tiles}; "
        "connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; "
        "base-uri 'self'; form-action 'self'"
    )
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
    ]


def session_cookie(response, token: str, seconds: int, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=seconds, httponly=True,
                        secure=secure, samesite="lax", path="/")


class AccessMiddleware:
    def __init__(self, app: ASGIApp, room: LiveRoom, script_hashes: Sequence[str] = ()) -> None:
        self.app = app
        self.room = room
        self.headers = security_headers(room, script_hashes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self._admit(scope, receive, tracked)
        except REDIS_UNREACHABLE:  # Redis away (a failover): before any answer, a 503
            if started:
                raise
            await self._live_unavailable(scope, receive, send)

    async def _admit(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        path = scope["path"]
        if scope["type"] == "http":
            send = self._with_headers(send, path)
        if path.startswith(PUBLIC_PREFIXES):
            await self.app(scope, receive, send)
            return
        if path.startswith("/api/") and not path.startswith(API_PAGES):
            try:
                principal = await anyio.to_thread.run_sync(self._bearer, connection)
            except ArchiveUnavailable as exc:  # (a token no worker has read since it changed)
                await json_refusal(exc)(scope, receive, send)
                return
            token = None
            if principal is None:
                principal, token = await anyio.to_thread.run_sync(self._page_session,
                                                                  connection)
            if principal is None:
                self._refused(connection, "no valid API token")
                await JSONResponse({"code": "unauthorized", "message": "API token required"},
                                   401, headers={"WWW-Authenticate": "Bearer"})(
                    scope, receive, send)
                return
            await self._serve(principal, token, scope, receive, send)
            return
        kiosk = connection.query_params.get("kiosk")
        if kiosk and scope["type"] == "http":
            await self._kiosk_sign_in(connection, kiosk, scope, receive, send)
            return
        token = connection.cookies.get(SESSION_COOKIE)
        principal = await anyio.to_thread.run_sync(session_store.session_principal, self.room,
                                                   token)
        if principal is None:
            await self._unauthenticated(connection, scope, receive, send)
            return
        await self._serve(principal, token, scope, receive, send)

    async def _live_unavailable(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redis unreachable: a socket is closed "try again later" (its page reconnects),
        the API answers `live_unavailable`, a page says so and reloads itself."""
        path = scope["path"]
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1013, "reason": "try again later"})
        elif path.startswith(("/api/", "/open311/", "/osmand", "/_dash")):
            await json_refusal(LiveUnavailable())(scope, receive, self._with_headers(send, path))
        else:
            lang = page_language(HTTPConnection(scope).query_params.get("lang"))
            await PlainTextResponse(translate("page.live_unavailable", lang), 503, headers={
                "Retry-After": str(RETRY_AFTER), "Refresh": str(RETRY_AFTER)})(
                scope, receive, self._with_headers(send, path))

    async def _serve(self, principal: Principal, token: str | None, scope: Scope,
                     receive: Receive, send: Send) -> None:
        principal_token, session_token = _current.set(principal), _session.set(token)
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(principal_token)
            _session.reset(session_token)

    def _bearer(self, connection: HTTPConnection) -> Principal | None:
        scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = credential_principal(self.room, secret.strip(), ("api_token",))
        return found[0] if found else None

    def _page_session(self, connection: HTTPConnection) -> tuple[Principal | None, str | None]:
        """A signed-in page calling the API: its session, if the CSRF header matches."""
        token = connection.cookies.get(SESSION_COOKIE)
        sent = connection.headers.get("x-csrf-token", "")
        if not token or not secrets.compare_digest(sent, csrf_token(token)):
            return None, None
        return session_store.session_principal(self.room, token), token

    async def _kiosk_sign_in(self, connection: HTTPConnection, secret: str, scope: Scope,
                             receive: Receive, send: Send) -> None:
        try:
            found = await anyio.to_thread.run_sync(credential_principal, self.room, secret,
                                                   ("kiosk",))
        except ArchiveUnavailable:  # the link cannot be checked now: the screen asks again
            lang = page_language(connection.query_params.get("lang"))
            await PlainTextResponse(translate("login.kiosk_unavailable", lang), 503, headers={
                "Retry-After": str(RETRY_AFTER), "Refresh": str(RETRY_AFTER)})(
                scope, receive, send)
            return
        if found is None:
            self._refused(connection, "unknown or revoked kiosk link")
            await RedirectResponse("/login?kiosk=invalid", 303)(scope, receive, send)
            return
        principal, credential_id = found
        token = session_store.start_session(self.room, principal, credential_id=credential_id,
                                            seconds=session_store.KIOSK_SESSION_SECONDS)
        query = urlencode([(k, v) for k, v in parse_qsl(connection.url.query) if k != "kiosk"])
        response = RedirectResponse(connection.url.path + (f"?{query}" if query else ""), 303)
        session_cookie(response, token, session_store.KIOSK_SESSION_SECONDS,
                       connection.url.scheme == "https")
        log.info("kiosk %s signed in from %s", principal.name, _client(connection))
        await response(scope, receive, send)

    async def _unauthenticated(self, connection: HTTPConnection, scope: Scope,
                               receive: Receive, send: Send) -> None:
        self._refused(connection, "not signed in")
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401, "reason": "not signed in"})
            return
        if connection.url.path.startswith("/_dash-"):
            await JSONResponse({"code": "unauthorized", "message": "not signed in"}, 401)(
                scope, receive, send)
            return
        target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
        await RedirectResponse("/login?" + urlencode({"next": target}), 303)(
            scope, receive, send)

    def _refused(self, connection: HTTPConnection, reason: str) -> None:
        log.warning("refused %s %s from %s: %s", connection.scope.get("method", "WS"),
                    connection.url.path, _client(connection), reason)

    def _with_headers(self, send: Send, path: str) -> Send:
        static = path.startswith(("/assets/", "/_dash-component-suites/"))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.append(name.decode(), value.decode())
                if not static and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"
            await send(message)

        return sending


def _client(connection: HTTPConnection) -> str:
    return connection.client.host if connection.client else "?"
