"""The app in-process behind a test client (its projections are drained by the tests)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app


@pytest.fixture
def client(room):
    with TestClient(create_app(room).server) as client:
        yield client
