"""A click on a queued incident reaches the server as the clicked incident's id (the queue is
HTML, `assets/live.js` tells Dash): that id is the browser's word, so anything else opens
nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app
from layouts import ids
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import report_incident
from tests.api.test_access import PASSWORD, sign_in
from tests.conftest import drain


@pytest.fixture
def client(room):
    accounts.add_user(room, "operator", PASSWORD, roles=["operator"], by=SYSTEM)
    with TestClient(create_app(room).server, follow_redirects=False) as client:
        sign_in(client, "operator")
        yield client


def choose(client, choice: object):
    """Post what the wall screen posts when `choice` is set as the queue's clicked item."""
    spec = next(dep for dep in client.get("/_dash-dependencies").json()
                if any(i["id"] == ids.QUEUE_CHOICE for i in dep["inputs"]))
    outputs = [dict(zip(("id", "property"), output.rsplit(".", 1), strict=True))
               for output in spec["output"].strip(".").split("...")]
    inputs = [{**dep, "value": choice if dep["id"] == ids.QUEUE_CHOICE else None}
              for dep in spec["inputs"]]
    state = [{**dep, "value": "id"} for dep in spec["state"]]  # (the page's language)
    return client.post("/_dash-update-component", json={
        "output": spec["output"], "outputs": outputs, "inputs": inputs, "state": state,
        "changedPropIds": [f"{ids.QUEUE_CHOICE}.data"]})


def test_a_queued_incident_clicked_opens_it(room, client):
    point = room.city.districts["36.71.03"].geometry.representative_point()
    incident = report_incident(room, category="parkir-liar", lat=point.y, lon=point.x,
                               source="test", by=SYSTEM, description="Truk di trotoar")
    drain(room)
    response = choose(client, {"id": incident.id, "at": 1})
    assert response.status_code == 200, response.text
    opened = response.json()["response"]
    assert opened[ids.SELECTED_INCIDENT]["data"] == incident.id, opened
    assert "Truk di trotoar" in str(opened[ids.INCIDENT_DETAIL]["children"])


@pytest.mark.parametrize("forged", [None, "261206-AB12C", {"id": ["261206-AB12C"]},
                                    {"id": {"$gt": ""}}, {"id": ""}, [1, 2]])
def test_a_forged_choice_opens_nothing(client, forged):
    response = choose(client, forged)
    assert response.status_code == 200 and response.json()["response"] == {}, response.text
