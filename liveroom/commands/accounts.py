"""Users, login, and credentials (API tokens, kiosk links, Open311 API keys, devices).

Every change is checked against the acting principal and written to the audit
log in the same transaction. Secrets are shown once, when issued, and stored
only as hashes; revoking one takes effect on the next request.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from liveroom.access import Action, Forbidden, Principal, Role
from liveroom.access import sessions as session_store
from liveroom.access.secrets import (
    digest,
    dummy_hash,
    hash_password,
    new_secret,
    verify_password,
)
from liveroom.archive import schema
from liveroom.commands.audit import record
from liveroom.commands.officers import get_officer, register_officer
from liveroom.domain.errors import ArchiveUnavailable, InvalidCommand, NotFound
from liveroom.room import LiveRoom

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
PERSON_ROLES = frozenset({Role.ADMIN, Role.MAYOR, Role.SUPERVISOR, Role.OPERATOR, Role.OFFICER})
KIOSK_ROLES = frozenset({Role.OPERATOR, Role.MAYOR})


class LoginRefused(Exception):
    """Wrong username or password (which of the two is not said)."""


class Throttled(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed attempts; try again in {seconds} s")
        self.seconds = seconds


@dataclass(frozen=True)
class Issued:
    """A credential just issued: its id and the secret, shown this once."""

    id: str
    kind: str
    name: str
    secret: str
    officer_id: str | None = None  # (a device's officer)


# --- users -------------------------------------------------------------------------------

def _validate_user(room: LiveRoom, roles, agencies, officer_id) -> tuple[list[str], list[str]]:
    try:
        role_set = {Role(r) for r in roles}
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from None
    if not role_set or not role_set <= PERSON_ROLES:
        raise InvalidCommand(f"roles must be some of {', '.join(sorted(PERSON_ROLES))}")
    unknown = sorted(set(agencies) - set(room.city.agencies))
    if unknown:
        raise InvalidCommand(f"unknown agency {', '.join(unknown)}")
    if Role.OFFICER in role_set:
        if not officer_id:
            raise InvalidCommand("an officer account needs --officer (a registered officer id)")
        get_officer(room, officer_id)  # NotFound if not registered
    return sorted(role_set), sorted(agencies)


def add_user(room: LiveRoom, username: str, password: str, *, roles, by: Principal,
             agencies=(), officer_id: str | None = None, display_name: str | None = None,
             demo: bool = False) -> dict:
    by.check(Action.MANAGE_ACCOUNTS)
    if not USERNAME.match(username):
        raise InvalidCommand("a username is 2-64 lowercase letters, digits, '.', '_' or '-'")
    role_list, agency_list = _validate_user(room, roles, agencies, officer_id)
    now = room.clock()
    row = {"username": username, "display_name": display_name or username,
           "password_hash": _hash(password), "roles": role_list, "agencies": agency_list,
           "officer_id": officer_id, "active": True, "demo": demo, "created_at": now,
           "updated_at": now}
    with room.engine.begin() as conn:
        if _user_row(conn, username) is not None:
            raise InvalidCommand(f"user {username!r} already exists")
        conn.execute(insert(schema.users), row)
        record(conn, now, by.actor, "user.added", username,
               {"roles": role_list, "agencies": agency_list, "officer_id": officer_id})
    return public_user(row)


def update_user(room: LiveRoom, username: str, *, by: Principal, roles=None, agencies=None,
                active: bool | None = None, password: str | None = None) -> dict:
    """Change roles, agencies, activity or password; the user's sessions end at once."""
    by.check(Action.MANAGE_ACCOUNTS)
    now = room.clock()
    with room.engine.begin() as conn:
        current = _user_row(conn, username)
        if current is None:
            raise NotFound(f"no user {username!r}")
        changes: dict = {}
        if roles is not None or agencies is not None:
            changes["roles"], changes["agencies"] = _validate_user(
                room, roles if roles is not None else current["roles"],
                agencies if agencies is not None else current["agencies"],
                current["officer_id"])
        if active is not None:
            changes["active"] = active
        if password is not None:
            changes["password_hash"] = _hash(password)
            changes["demo"] = False
        if not changes:
            return public_user(current)
        conn.execute(update(schema.users).where(schema.users.c.username == username),
                     {**changes, "updated_at": now})
        shown = {k: v for k, v in changes.items() if k != "password_hash"}
        if password is not None:
            shown["password"] = "changed"
        record(conn, now, by.actor, "user.changed", username, shown)
        updated = _user_row(conn, username)
    credentials_changed(room)
    session_store.end_sessions_of(room, username=username)
    return public_user(updated)


def list_users(room: LiveRoom, *, by: Principal) -> list[dict]:
    by.check(Action.MANAGE_ACCOUNTS)
    with room.engine.connect() as conn:
        rows = conn.execute(select(schema.users).order_by(schema.users.c.username)).mappings()
        return [public_user(row) for row in rows]


def public_user(row) -> dict:
    return {key: row[key] for key in ("username", "display_name", "roles", "agencies",
                                      "officer_id", "active", "demo")}


def user_principal(row) -> Principal:
    return Principal(kind="user", name=row["username"],
                     roles=frozenset(Role(r) for r in row["roles"]),
                     agencies=frozenset(row["agencies"]), officer_id=row["officer_id"])


def authenticate(room: LiveRoom, username: str, password: str, client: str) -> Principal:
    """Check a password. Failures slow down their source only: the username from that
    address, and that address for any username; the right password from an address that
    has not failed always gets in. Unknown users take as long as known ones."""
    name = username.lower()
    pair, address = f"login:{name}@{client}", f"client:{client}"
    wait = session_store.locked_for(room, pair, address)
    if wait:
        raise Throttled(wait)
    with room.engine.connect() as conn:
        row = _user_row(conn, name)
    usable = row is not None and row["active"]
    right = verify_password(row["password_hash"] if usable else dummy_hash(), password)
    if not (usable and right):
        session_store.record_failure(room, pair)
        session_store.record_failure(room, address, session_store.FREE_ATTEMPTS_PER_ADDRESS)
        raise LoginRefused("wrong username or password")
    session_store.record_success(room, pair)
    return user_principal(row)


DEMO_ROLES = {"admin": ["admin"], "supervisor": ["supervisor"], "operator": ["operator"],
              "mayor": ["mayor"]}


def create_demo_accounts(room: LiveRoom) -> dict[str, str]:
    """On a deployment with no users at all: one demo account per role, random passwords."""
    from liveroom.access import SYSTEM

    with room.engine.connect() as conn:
        if conn.execute(select(schema.users.c.username).limit(1)).first() is not None:
            return {}
    created = {}
    for username, roles in DEMO_ROLES.items():
        password = secrets.token_urlsafe(9)
        add_user(room, username, password, roles=roles, by=SYSTEM, demo=True)
        created[username] = password
    post = next(iter(room.city.posts.values()), None)
    if post is not None:  # a field officer at the first post, for the phone page
        officer_id = f"demo-{post.agency}"
        with contextlib.suppress(InvalidCommand):  # an earlier start registered it
            register_officer(room, officer_id, name="Petugas Demo", agency=post.agency,
                             post_id=post.id, by=SYSTEM)
        created["petugas"] = secrets.token_urlsafe(9)
        add_user(room, "petugas", created["petugas"], roles=["officer"], by=SYSTEM,
                 officer_id=officer_id, display_name="Petugas Demo", demo=True)
    return created


def demo_users(room: LiveRoom) -> list[str]:
    with room.engine.connect() as conn:
        return list(conn.execute(select(schema.users.c.username).where(
            schema.users.c.demo.is_(True), schema.users.c.active.is_(True))).scalars())


def _user_row(conn: Connection, username: str) -> RowMapping | None:
    return conn.execute(
        select(schema.users).where(schema.users.c.username == username)).mappings().first()


def _hash(password: str) -> str:
    try:
        return hash_password(password)
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from None


# --- credentials -------------------------------------------------------------------------

def _issue(room: LiveRoom, kind: str, name: str, by: Principal, **fields) -> Issued:
    by.check(Action.MANAGE_ACCOUNTS)
    if not name.strip():
        raise InvalidCommand("a credential needs a name")
    with room.engine.begin() as conn:
        return _insert_credential(conn, room.clock(), kind, name.strip(), by, **fields)


def _insert_credential(conn: Connection, now, kind: str, name: str, by: Principal,
                       **fields) -> Issued:
    secret, credential_id = new_secret(kind.replace("_", "")), secrets.token_hex(6)
    conn.execute(insert(schema.credentials), {
        "id": credential_id, "kind": kind, "name": name, "secret_hash": digest(secret),
        "created_at": now, "created_by": by.actor, **fields,
    })
    record(conn, now, by.actor, f"{kind}.issued", credential_id, {"name": name, **fields})
    return Issued(credential_id, kind, name, secret, fields.get("officer_id"))


def create_api_token(room: LiveRoom, username: str, *, by: Principal) -> Issued:
    with room.engine.connect() as conn:
        if _user_row(conn, username) is None:
            raise NotFound(f"no user {username!r}")
    return _issue(room, "api_token", f"token for {username}", by, username=username)


def create_kiosk_link(room: LiveRoom, name: str, *, role: str = "mayor",
                      by: Principal) -> Issued:
    if Role(role) not in KIOSK_ROLES:
        raise InvalidCommand("a kiosk screen is an operator or a mayor screen")
    return _issue(room, "kiosk", name, by, role=role)


def create_api_key(room: LiveRoom, name: str, *, by: Principal) -> Issued:
    return _issue(room, "api_key", name, by)


def add_device(room: LiveRoom, name: str, *, agency: str, by: Principal,
               post_id: str | None = None, shift: str | None = None) -> Issued:
    """Register an officer's phone or tracker: a new officer, and a device credential.

    The secret is what the tracker sends as its device id (OsmAnd `id`, the Traccar
    Client's identifier) and the token of the `/ws/device` channel. It is not the
    officer id, which screens and exports show.
    """
    by.check(Action.MANAGE_ACCOUNTS)
    officer_id = f"{agency}-{secrets.token_hex(3)}"
    register_officer(room, officer_id, name=name, agency=agency, post_id=post_id, shift=shift,
                     by=by)
    return _issue(room, "device", name, by, agency=agency, officer_id=officer_id)


def rotate_device(room: LiveRoom, credential_id: str, *, by: Principal) -> Issued:
    """A new secret for a device's officer. The old credential is revoked in the same
    transaction: its secret, and for a device registered before ids were secrets its
    plain id, stop within seconds, and its sessions end."""
    by.check(Action.MANAGE_ACCOUNTS)
    table, now = schema.credentials, room.clock()
    with room.engine.begin() as conn:
        row = conn.execute(select(table).where(
            table.c.id == credential_id, table.c.kind == "device",
            table.c.revoked_at.is_(None))).mappings().first()
        if row is None:
            raise NotFound(f"no active device {credential_id!r}")
        issued = _insert_credential(conn, now, "device", row["name"], by, agency=row["agency"],
                                    officer_id=row["officer_id"])
        conn.execute(update(table).where(table.c.id == credential_id).values(revoked_at=now))
        record(conn, now, by.actor, "device.rotated", credential_id, {"to": issued.id})
    credentials_changed(room)
    session_store.end_sessions_of(room, credential_id=credential_id)
    return issued


def sends_officer_id(row: Mapping) -> bool:
    """A device registered before tracker ids were secrets: it sends its officer id, which
    anyone can read off a screen, until it is rotated."""
    return row["kind"] == "device" and row["id"] == row["officer_id"]


def revoke_credential(room: LiveRoom, credential_id: str, *, by: Principal) -> None:
    """Revoke at once: the secret stops working and sessions opened with it end."""
    by.check(Action.MANAGE_ACCOUNTS)
    now = room.clock()
    with room.engine.begin() as conn:
        table = schema.credentials
        done = conn.execute(update(table).where(table.c.id == credential_id,
                                                table.c.revoked_at.is_(None))
                            .values(revoked_at=now)).rowcount
        if not done:
            raise NotFound(f"no active credential {credential_id!r}")
        record(conn, now, by.actor, "credential.revoked", credential_id, {})
    credentials_changed(room)
    session_store.end_sessions_of(room, credential_id=credential_id)


def list_credentials(room: LiveRoom, *, by: Principal, kind: str | None = None) -> list[dict]:
    by.check(Action.MANAGE_ACCOUNTS)
    table = schema.credentials
    query = select(*(c for c in table.c if c.name != "secret_hash")).order_by(
        table.c.created_at.desc())
    if kind:
        query = query.where(table.c.kind == kind)
    with room.engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    return [row | {"sends_officer_id": True} if sends_officer_id(row) else row for row in rows]


#: secrets no credential has that one client may send before it waits (doubling)
FREE_UNKNOWN_SECRETS = 10


def credential_principal(room: LiveRoom, secret: str | None, kinds: tuple[str, ...],
                         client: str | None = None) -> tuple[Principal, str] | None:
    """The principal a bearer secret stands for (if of one of `kinds` and not revoked).

    Found ones are kept in `room.principals` while the credentials' version in Redis holds:
    a revocation, rotation or user change anywhere bumps it, so the next request re-reads.
    Misses are not kept (a new key works at once). With `client` (an address), secrets
    guessed from it slow it down: past FREE_UNKNOWN_SECRETS misses, Throttled until its wait
    ends (a secret this process holds is not held up). While the archive is down, what any
    worker read of it at this version is found in Redis; anything else is
    ArchiveUnavailable (neither known nor refused)."""
    if not secret:
        return None
    key, version = digest(secret), room.redis.get(room.keys.credentials_version)
    cached = room.principals.get(key)
    if cached is None or cached[0] != version:
        guesser = f"secret:{client}" if client else None
        if cached is None and guesser and (wait := session_store.locked_for(room, guesser)):
            raise Throttled(wait)
        try:
            found = _read_credential(room, key)
        except ArchiveUnavailable:
            if (found := session_store.remembered_principal(room, version, key)) is None:
                raise
        else:
            session_store.remember_principals(room, version, {key: found} if found else {})
        if found is None:
            room.principals.pop(key, None)
            if guesser:
                session_store.record_failure(room, guesser, FREE_UNKNOWN_SECRETS)
            return None
        room.principals[key] = cached = (version, found)
    kind, principal, credential_id = cached[1]
    return (principal, credential_id) if kind in kinds else None


def credentials_changed(room: LiveRoom) -> None:
    """Every process re-reads the principals it cached (after a credential or user change)."""
    version = room.redis.incr(room.keys.credentials_version)
    session_store.forget_principals(room, str(version - 1))  # (0: never changed before)


def _read_credential(room: LiveRoom, key: str) -> tuple[str, Principal, str] | None:
    table = schema.credentials
    with room.engine.connect() as conn:
        row = conn.execute(select(table).where(
            table.c.secret_hash == key, table.c.revoked_at.is_(None))).mappings().first()
        if row is None:
            return None
        if row["kind"] == "api_token":
            user = _user_row(conn, row["username"])
            if user is None or not user["active"]:
                return None
            return row["kind"], user_principal(user), row["id"]
    if row["kind"] == "kiosk":
        principal = Principal(kind="kiosk", name=row["name"], roles=frozenset({Role(row["role"])}))
    elif row["kind"] == "api_key":
        principal = Principal(kind="apikey", name=row["name"],
                              roles=frozenset({Role.CITIZEN_APP}))
    else:
        principal = Principal(kind="device", name=row["id"], roles=frozenset({Role.OFFICER}),
                              agencies=frozenset({row["agency"]}), officer_id=row["officer_id"])
    return row["kind"], principal, row["id"]


def device_principals(room: LiveRoom) -> dict[str, Principal]:
    """Every live device credential, by the digest of what its tracker sends as `id`: its
    secret (and, for a device that `sends_officer_id`, that id too, until it is rotated).
    For while the archive is down, `remember_principals` them (`locations.DeviceDirectory`
    does, each time they or the credentials' version change)."""
    table = schema.credentials
    with room.engine.connect() as conn:
        rows = conn.execute(select(table.c.id, table.c.kind, table.c.agency,
                                   table.c.officer_id, table.c.secret_hash).where(
            table.c.kind == "device", table.c.revoked_at.is_(None))).mappings().all()
    found = {}
    for row in rows:
        principal = Principal(kind="device", name=row["id"], roles=frozenset({Role.OFFICER}),
                              agencies=frozenset({row["agency"]}), officer_id=row["officer_id"])
        found[row["secret_hash"]] = principal
        if sends_officer_id(row):
            found[digest(row["id"])] = principal
    return found


def ensure_not_demo_in_production(room: LiveRoom) -> None:
    """Refuse to run a production deployment that still has demo credentials."""
    if room.settings.env == "production" and (names := demo_users(room)):
        raise Forbidden(f"demo accounts are active ({', '.join(names)}): change their "
                        "passwords or disable them before running with LIVEROOM_ENV=production")
