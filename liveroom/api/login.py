"""`/login` and `/logout`: a plain HTML form (no script needed), CSRF-protected. Passwords
are in the archive: while it is down, signing in is refused (503, said on the form), and
whoever is signed in stays so (sessions are in Redis)."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from liveroom.access import Action
from liveroom.access import sessions as session_store
from liveroom.api.access import SESSION_COOKIE, client_address, csrf_token, session_cookie
from liveroom.api.errors import RETRY_AFTER
from liveroom.api.templates import page_language, render_page
from liveroom.commands.accounts import LoginRefused, Throttled, authenticate
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.i18n import translate

router = APIRouter()
LOGIN_CSRF_COOKIE = "lr_login_csrf"


def safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to somewhere else)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def login_page(request: Request, *, lang: str, next_path: str, error: str = "",
               username: str = "", status: int = 200, csrf: str | None = None) -> Response:
    # one token per browser until it signs in: a second tab (or the favicon) must not
    # invalidate the form already on screen
    csrf = csrf or request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render_page("login.html", lang, status, next=next_path, error=error,
                           username=username, csrf=csrf, city=request.app.state.room.city.name)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/login")
    return response


@router.get("/login")
def show_login(request: Request) -> Response:
    lang = page_language(request.query_params.get("lang"))
    error = translate("login.kiosk_invalid", lang) if request.query_params.get("kiosk") else ""
    return login_page(request, lang=lang, next_path=safe_next(request.query_params.get("next")),
                      error=error)


@router.post("/login")
async def submit_login(request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    lang, next_path = page_language(form.get("lang")), safe_next(form.get("next"))
    username = form.get("username", "").strip()
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
        return login_page(request, lang=lang, next_path=next_path, username=username,
                          error=translate("login.expired", lang), status=403)
    room = request.app.state.room
    client = client_address(request)
    try:
        principal = await anyio.to_thread.run_sync(
            authenticate, room, username, form.get("password", ""), client)
    except Throttled as exc:
        response = login_page(request, lang=lang, next_path=next_path, username=username,
                              status=429, error=translate("login.throttled", lang,
                                                          seconds=exc.seconds))
        response.headers["Retry-After"] = str(exc.seconds)
        return response
    except LoginRefused:
        return login_page(request, lang=lang, next_path=next_path, username=username,
                          error=translate("login.refused", lang), status=401)
    except ArchiveUnavailable:  # (passwords are in the archive: signing in needs it)
        response = login_page(request, lang=lang, next_path=next_path, username=username,
                              error=translate("login.archive_unavailable", lang), status=503)
        response.headers["Retry-After"] = str(RETRY_AFTER)
        return response
    token = session_store.start_session(room, principal, username=principal.name,
                                        seconds=session_store.USER_SESSION_SECONDS)
    if next_path == "/" and principal.officer_id and not principal.can(Action.VIEW_LIVE):
        next_path = "/field"  # a field officer's home is their phone page
    response = RedirectResponse(next_path, 303)
    session_cookie(response, token, session_store.USER_SESSION_SECONDS,
                   request.url.scheme == "https")
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = {k: v[0] for k, v in parse_qs((await request.body()).decode(errors="replace")).items()}
    token = request.cookies.get(SESSION_COOKIE)
    if not secrets.compare_digest(form.get("csrf", ""), csrf_token(token)):
        return Response("CSRF token missing or wrong", 403)
    session_store.end_session(request.app.state.room, token)
    response = RedirectResponse("/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
