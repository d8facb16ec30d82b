"""The app in-process behind a test client (its projections are drained by the tests)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app
from liveroom.access import SYSTEM
from liveroom.access import sessions as session_store
from liveroom.api.access import SESSION_COOKIE, csrf_token
from liveroom.commands import accounts


@pytest.fixture
def client(room):
    with TestClient(create_app(room).server) as client:
        yield client


def signed_in(room, client, username: str) -> dict:
    """The user's session cookie set on the client, as a page would have it; returns the
    page's CSRF header."""
    row = next(u for u in accounts.list_users(room, by=SYSTEM) if u["username"] == username)
    token = session_store.start_session(room, accounts.user_principal(row), username=username,
                                        seconds=3600)
    client.cookies.set(SESSION_COOKIE, token)
    return {"X-CSRF-Token": csrf_token(token)}
