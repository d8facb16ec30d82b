"""Accounts and credentials: what admins issue, what it lets others do, and revocation."""

from __future__ import annotations

import time

import pytest

from liveroom.access import SYSTEM, Forbidden, Role
from liveroom.access import sessions as session_store
from liveroom.commands import accounts, audit
from liveroom.commands.officers import record_locations
from liveroom.domain.errors import InvalidCommand, NotFound
from liveroom.domain.events import OfficerLocated
from liveroom.room import LiveRoom
from tests.conftest import drain, person

ADMIN = person("ani", "admin")
PASSWORD = "kata-sandi-rahasia"


@pytest.fixture
def operator(room):
    return accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=ADMIN)


def test_only_admins_add_users_and_bad_input_is_refused(room):
    with pytest.raises(Forbidden):
        accounts.add_user(room, "x1", PASSWORD, roles=["operator"], by=person("o", "operator"))
    for bad, message in [
        (dict(username="Bad Name!", password=PASSWORD, roles=["operator"]), "username"),
        (dict(username="short", password="123", roles=["operator"]), "at least 10"),
        (dict(username="ghost", password=PASSWORD, roles=["wizard"]), "wizard"),
        (dict(username="sys", password=PASSWORD, roles=["system"]), "roles must be"),
        (dict(username="pp", password=PASSWORD, roles=["officer"]), "needs --officer"),
        (dict(username="sup", password=PASSWORD, roles=["supervisor"], agencies=["nasa"]),
         "unknown agency"),
    ]:
        with pytest.raises(InvalidCommand, match=message):
            accounts.add_user(room, bad.pop("username"), bad.pop("password"), by=ADMIN, **bad)
    assert accounts.list_users(room, by=ADMIN) == []


def test_login_works_and_failures_slow_down_only_their_source(room, operator):
    principal = accounts.authenticate(room, "opi", PASSWORD, client="10.0.0.1")
    assert principal.roles == {Role.OPERATOR} and principal.actor == "user:opi"
    for _ in range(session_store.FREE_ATTEMPTS):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(room, "opi", "wrong password", client="10.0.0.1")
    with pytest.raises(accounts.Throttled) as throttled:  # that address, that name: wait
        accounts.authenticate(room, "opi", PASSWORD, client="10.0.0.1")
    assert throttled.value.seconds >= 1
    # the attacker cannot keep the operator out: from where they work, the password works
    assert accounts.authenticate(room, "opi", PASSWORD, client="10.0.0.2").actor == "user:opi"
    with pytest.raises(accounts.LoginRefused):  # another name from there is only refused
        accounts.authenticate(room, "someone", "wrong password", client="10.0.0.1")


def test_an_address_trying_many_names_is_slowed_down_for_all(room, operator):
    for number in range(session_store.FREE_ATTEMPTS_PER_ADDRESS):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(room, f"name{number}", "wrong password", client="10.0.0.9")
    with pytest.raises(accounts.Throttled):
        accounts.authenticate(room, "opi", PASSWORD, client="10.0.0.9")
    assert accounts.authenticate(room, "opi", PASSWORD, client="10.0.0.2").actor == "user:opi"


def test_an_unknown_username_takes_as_long_to_refuse_as_a_known_one(room, operator):
    def slowest_of(name: str) -> float:
        times = []
        for number in range(4):
            started = time.perf_counter()
            with pytest.raises(accounts.LoginRefused):
                accounts.authenticate(room, name, "wrong password", client=f"10.1.0.{number}")
            times.append(time.perf_counter() - started)
        return sorted(times)[1]

    known, unknown = slowest_of("opi"), slowest_of("nobody-here")
    assert 0.33 < unknown / known < 3  # (it was 5 ms against 135: one in 27)


def test_the_backoff_doubles_with_each_failure(room):
    subject = "user:target"
    waits = []
    for _ in range(session_store.FREE_ATTEMPTS + 3):
        session_store.record_failure(room, subject)
        waits.append(session_store.locked_for(room, subject))
    assert waits[:session_store.FREE_ATTEMPTS - 1] == [0] * (session_store.FREE_ATTEMPTS - 1)
    assert waits[-4:] == [1, 2, 4, 8]


def test_a_password_change_or_disabling_ends_sessions_at_once(room, operator):
    principal = accounts.authenticate(room, "opi", PASSWORD, client="c")
    token = session_store.start_session(room, principal, seconds=600, username="opi")
    assert session_store.session_principal(room, token) == principal
    accounts.update_user(room, "opi", password="kata-sandi-baru-1", by=ADMIN)
    assert session_store.session_principal(room, token) is None
    accounts.update_user(room, "opi", active=False, by=ADMIN)
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(room, "opi", "kata-sandi-baru-1", client="c")


def test_api_tokens_act_as_their_user_until_revoked(room, operator):
    issued = accounts.create_api_token(room, "opi", by=ADMIN)
    principal, credential_id = accounts.credential_principal(room, issued.secret, ("api_token",))
    assert principal.actor == "user:opi" and credential_id == issued.id
    assert accounts.credential_principal(room, issued.secret, ("api_key",)) is None
    accounts.revoke_credential(room, issued.id, by=ADMIN)
    assert accounts.credential_principal(room, issued.secret, ("api_token",)) is None
    with pytest.raises(NotFound):
        accounts.revoke_credential(room, issued.id, by=ADMIN)
    assert issued.secret not in str(accounts.list_credentials(room, by=ADMIN))


def test_another_worker_stops_honouring_a_revoked_secret_at_once(room, settings, operator):
    """Principals are cached per process; a change in any process reaches every cache."""
    other = LiveRoom.open(settings)  # another worker, with its own cache
    try:
        key = accounts.create_api_key(room, "Aplikasi Warga", by=ADMIN)
        token = accounts.create_api_token(room, "opi", by=ADMIN)
        assert accounts.credential_principal(other, key.secret, ("api_key",))
        assert accounts.credential_principal(other, token.secret, ("api_token",))
        accounts.revoke_credential(room, key.id, by=ADMIN)
        assert accounts.credential_principal(other, key.secret, ("api_key",)) is None
        accounts.update_user(room, "opi", active=False, by=ADMIN)
        assert accounts.credential_principal(other, token.secret, ("api_token",)) is None
        accounts.update_user(room, "opi", active=True, by=ADMIN)
        assert accounts.credential_principal(other, token.secret, ("api_token",))
    finally:
        other.close()


def test_revoking_a_kiosk_link_signs_its_screens_out(room):
    with pytest.raises(InvalidCommand, match="operator or a mayor"):
        accounts.create_kiosk_link(room, "Layar 1", role="admin", by=ADMIN)
    issued = accounts.create_kiosk_link(room, "Layar dinding 1", by=ADMIN)
    principal, credential_id = accounts.credential_principal(room, issued.secret, ("kiosk",))
    assert principal.roles == {Role.MAYOR} and principal.kind == "kiosk"
    screens = [session_store.start_session(room, principal, seconds=60,
                                           credential_id=credential_id) for _ in range(2)]
    accounts.revoke_credential(room, issued.id, by=ADMIN)
    assert [session_store.session_principal(room, t) for t in screens] == [None, None]


def test_a_device_is_an_officer_who_may_report_only_its_own_position(room):
    device = accounts.add_device(room, "HP Pak Joko", agency="dishub", by=ADMIN)
    other = accounts.add_device(room, "HP Bu Sari", agency="dishub", by=ADMIN)
    principal, _ = accounts.credential_principal(room, device.secret, ("device",))
    assert principal.officer_id == device.officer_id and principal.agencies == {"dishub"}
    own = OfficerLocated(officer_id=device.officer_id, occurred_at=room.clock(),
                         actor=principal.actor, lat=-6.18, lon=106.63)
    assert len(record_locations(room, [own], by=principal)) == 1
    with pytest.raises(Forbidden):
        record_locations(room, [own.model_copy(update={"officer_id": other.officer_id})],
                         by=principal)


def test_api_keys_are_citizen_apps_with_a_rate_limit(room):
    issued = accounts.create_api_key(room, "Aplikasi Warga", by=ADMIN)
    principal, credential_id = accounts.credential_principal(room, issued.secret, ("api_key",))
    assert principal.roles == {Role.CITIZEN_APP}
    waits = [session_store.rate_limited(room, f"key:{credential_id}", limit=3,
                                        window_seconds=60) for _ in range(5)]
    assert waits[:3] == [0, 0, 0] and all(w > 0 for w in waits[3:])
    assert session_store.rate_limited(room, "key:another", limit=3, window_seconds=60) == 0


def test_the_audit_trail_records_account_changes_and_commands(room, operator,
                                                              tangerang_point):
    from liveroom.commands.incidents import report_incident

    issued = accounts.create_api_token(room, "opi", by=ADMIN)
    accounts.revoke_credential(room, issued.id, by=ADMIN)
    report_incident(room, category="genangan", lat=tangerang_point[0], lon=tangerang_point[1],
                    source="t", by=person("opi", "operator"))
    drain(room)
    trail = audit.recent(room, by=ADMIN)
    assert [(e["actor"], e["action"]) for e in reversed(trail)] == [
        ("user:ani", "user.added"), ("user:ani", "api_token.issued"),
        ("user:ani", "credential.revoked"), ("user:opi", "report.received"),
        ("user:opi", "report.triaged"),
    ]
    csv_text = audit.export_csv(room, by=ADMIN)
    assert csv_text.splitlines()[0] == "at,actor,action,target,details"
    assert "+07:00" in csv_text.splitlines()[1]  # WIB
    with pytest.raises(Forbidden):
        audit.recent(room, by=person("walikota", "mayor"))


def test_production_refuses_demo_accounts(room, settings):
    accounts.add_user(room, "demo-admin", PASSWORD, roles=["admin"], by=SYSTEM, demo=True)
    accounts.ensure_not_demo_in_production(room)  # development: fine
    room.settings = settings.model_copy(update={"env": "production"})
    with pytest.raises(Forbidden, match="demo accounts are active"):
        accounts.ensure_not_demo_in_production(room)
    accounts.update_user(room, "demo-admin", password="a-real-secret-now", by=SYSTEM)
    accounts.ensure_not_demo_in_production(room)
