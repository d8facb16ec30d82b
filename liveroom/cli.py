"""Command line: run the app, rebuild projections, seed demo data, migrate the archive, back
up and restore a deployment."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from pathlib import Path

import orjson
import typer

from liveroom.config import Settings, SettingsError, load_settings

cli = typer.Typer(help="LIVE Room: the city's real-time operations centre.",
                  no_args_is_help=True, add_completion=False)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(2) from None


@contextmanager
def opened_room():
    """Settings, city pack, migrated archive and connections, or a clear error."""
    from liveroom.archive import migrate, rollups
    from liveroom.cities import CityPackError
    from liveroom.room import LiveRoom

    settings = settings_or_exit()
    try:
        room = LiveRoom.open(settings)
    except CityPackError as exc:
        typer.secho(f"city pack error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    try:
        migrate(room.engine)
        rollups.fill_if_empty(room.engine, room.city.timezone)
        yield room
    finally:
        room.close()


@cli.command()
def run(app: str = typer.Option(
        "app:create_server", help="module:function that makes the ASGI app for a room "
        "(the UI lives above this package, so it is named, as uvicorn names apps).")) -> None:
    """Start the app (and its projections) at LIVEROOM_HOST:LIVEROOM_PORT, the OsmAnd
    listener at LIVEROOM_OSMAND_PORT and, unless LIVEROOM_SIMULATOR=off, the simulator.
    Ctrl-C or SIGTERM stops it all (the embedded Redis too, unless another process uses
    it)."""
    import asyncio
    import importlib

    from liveroom.api.osmand import osmand_app
    from liveroom.embedded import stop_embedded
    from liveroom.servers import serve

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with opened_room() as room:
        settings = room.settings
        demo_credentials(room)
        typer.echo(f"LIVE Room {room.city.name}: http://{settings.host}:{settings.port}/")
        if settings.osmand_port:
            typer.echo(f"trackers (OsmAnd): http://{settings.host}:{settings.osmand_port}/")
        module, _, factory = app.partition(":")
        server = getattr(importlib.import_module(module), factory)(room)
        try:
            asyncio.run(serve(settings, server, osmand_app(server.state.ingest)))
        except KeyboardInterrupt:
            pass
        finally:
            room.close()
            stop_embedded()


@cli.command()
def work() -> None:
    """Run projections and policies only (no web server): a second process, or host, to
    spread the load; app processes then run with LIVEROOM_PROJECTIONS=off."""
    import signal
    import threading

    from liveroom.projections.runner import ProjectionService

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with opened_room() as room:
        service = ProjectionService(room)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        service.start()
        typer.echo(f"projecting {room.city.name}; Ctrl-C stops")
        stop.wait()
        service.stop()


@cli.command("erase-contacts")
def erase_contacts(older_than_days: int = typer.Option(
        None, "--older-than-days", min=0,
        help="Days since the incident closed (default LIVEROOM_CONTACT_RETENTION_DAYS).")) -> None:
    """Erase the reporters' personal data (name, phone, e-mail, Telegram chat) of incidents
    closed that many days ago or more (UU 27/2022); `work` does it on a schedule. Running it
    again erases nothing more."""
    from liveroom.commands.erasure import erase_contacts as run_erasure

    with opened_room() as room:
        erased = run_erasure(room, older_than_days)
        typer.echo(f"erased the reporters' contacts of {len(erased)} incident(s)"
                   + (f": {', '.join(erased)}" if erased else ""))


@cli.command()
def simulate(
    url: str = typer.Option(None, help="The app's address (default: HOST:PORT)."),
    osmand_url: str = typer.Option(None, help="Where trackers send (default: OSMAND_PORT)."),
    reports_per_minute: float = typer.Option(2.0, help="Average citizen reports a minute."),
    officers: int = typer.Option(60, help="Field officers, spread over posts and shifts."),
    fix_seconds: float = typer.Option(5.0, help="Seconds between an officer's fixes."),
    dispatch: bool = typer.Option(True, help="Also play the operator who assigns tasks."),
    duration: float = typer.Option(None, help="Stop after this many seconds."),
    seed: int = typer.Option(None, help="Random seed, for a repeatable city."),
    shift: str = typer.Option(None, help="Put new officers on this shift (a load test: the "
                              "one running now keeps them all moving)."),
    steady: bool = typer.Option(False, help="Reports at the same rate at every hour, not "
                                "the city's daily rhythm (a load test)."),
    parent_pid: int = typer.Option(None, hidden=True),
) -> None:
    """Bring the demo city to life through Open311 and OsmAnd (also a load generator)."""
    import asyncio
    import random

    from liveroom.demo.simulator import Simulator, provision

    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with opened_room() as room:  # provisioning its own credentials only
        settings, city = room.settings, room.city
        if shift and shift not in room.city.shifts:
            raise typer.BadParameter(f"unknown shift {shift!r}; the city has "
                                     f"{', '.join(room.city.shifts)}", param_hint="--shift")
        credentials = provision(room, officers, reports_per_minute, random.Random(seed), shift)
    url = url or f"http://{settings.host}:{settings.port}"
    osmand_url = osmand_url or (f"http://{settings.host}:{settings.osmand_port}"
                                if settings.osmand_port else f"{url}/osmand")
    simulator = Simulator(city, credentials, url=url, osmand_url=osmand_url,
                          reports_per_minute=reports_per_minute, fix_seconds=fix_seconds,
                          dispatch=dispatch, seed=seed, parent_pid=parent_pid,
                          steady=steady)
    typer.echo(f"simulating {len(simulator.officers)} officers and {reports_per_minute} "
               f"reports a minute against {url}")
    try:
        counts = asyncio.run(simulator.run(duration))
    except KeyboardInterrupt:
        counts = simulator.counts
    typer.echo(orjson.dumps(counts).decode())


@cli.command()
def migrate() -> None:
    """Bring the archive database schema up to date (run also does this)."""
    with opened_room():
        typer.echo("archive schema is up to date")


@cli.command()
def rebuild(
    projection: list[str] = typer.Option(  # noqa: B008
        None, "--projection", "-p", help="Only these projections (repeatable); default all."
    ),
) -> None:
    """Rebuild aggregate states and projections from the event log and the streams."""
    from liveroom.projections.rebuild import rebuild as run_rebuild
    from liveroom.projections.runner import all_projections

    with opened_room() as room:
        known = [p.name for p in all_projections(room)]
        unknown = sorted(set(projection or []) - set(known))
        if unknown:
            typer.secho(f"unknown projection(s) {unknown}; known: {known}", fg="red", err=True)
            raise typer.Exit(2)
        result = run_rebuild(room, projection or None)
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


@cli.command()
def backup(directory: Path = typer.Argument(..., metavar="DIR",  # noqa: B008
                                            help="A new or empty directory.")) -> None:
    """Write a consistent snapshot of this deployment into DIR while it runs: the archive
    (SQLite's online backup, or pg_dump), then its Redis keys (one atomic DUMP of its
    namespace), then the photos, and manifest.json saying what it holds."""
    from liveroom.backup.deployment import take_backup

    manifest = take_backup(settings_or_exit(), directory)
    streams = {name: info["length"] for name, info in manifest["redis"]["streams"].items()}
    typer.echo(f"backed up {manifest['namespace']} into {directory}: "
               f"{manifest['redis']['keys']} Redis keys ({_lengths(streams)}), "
               f"{sum(manifest['archive']['rows'].values())} archive rows, "
               f"{manifest['media']['files']} photos")


@cli.command()
def restore(
    directory: Path = typer.Argument(..., metavar="DIR", help="What `backup` wrote."),  # noqa: B008
    force: bool = typer.Option(False, "--force", help="Replace what this deployment's "
                               "namespace, archive and media dir already hold."),
    ignore_mismatch: bool = typer.Option(False, "--ignore-mismatch", help="Restore a "
                                         "backup of another city or namespace all the same."),
) -> None:
    """Bring this deployment (a new data dir, or an empty namespace and database) to the
    state of the backup in DIR, then migrate its archive. Stop the app first."""
    from liveroom.backup.deployment import restore_backup

    restored = restore_backup(settings_or_exit(), directory, force=force,
                              ignore_mismatch=ignore_mismatch)
    typer.echo(f"restored the backup of {restored['taken_at']}: {restored['keys']} Redis "
               f"keys ({_lengths(restored['streams'])}), {restored['rows']} archive rows, "
               f"{restored['photos']} photos")


def _lengths(streams: dict[str, int]) -> str:
    return ", ".join(f"{name} stream {length}" for name, length in streams.items())


@cli.command()
def seed(
    officers_per_post: int = typer.Option(2, min=0, max=50, help="Officers at each post."),
    reports: int = typer.Option(20, min=0, max=10_000, help="Demo citizen reports."),
    history: int = typer.Option(0, min=0, max=5_000_000, help=(
        "Also write about N finished past incidents straight into the archive, with "
        "officers and attendance, for KPIs (not replayable: a rebuild drops them).")),
    days: int = typer.Option(180, min=1, max=1_000, help="How far back the history goes."),
    units: bool = typer.Option(True, help="Also each post's units (fire engines, trucks, "
                               "patrol cars) with crews of the post's officers."),
) -> None:
    """Add demo officers, units and reports for the city pack (skips officers and units
    that exist), and optionally months of history for the KPI panels."""
    from liveroom.demo.history import seed_history
    from liveroom.demo.seed import seed_demo, summary

    with opened_room() as room:
        result = seed_demo(room, officers_per_post=officers_per_post, reports=reports,
                           units=units)
        if history:
            result["history"] = seed_history(room, history, days=days)
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        typer.echo(summary(result))


@cli.command("learn-eta")
def learn_eta() -> None:
    """Learn arrival speeds from the archive's trips now (the app also learns them at start
    when missing, and nightly): the median per agency and local hour, with counts."""
    from liveroom.reporting.eta import learn

    with opened_room() as room:
        table = learn(room)
        for key in room.city.agencies:
            learned = table.agencies.get(key)
            if learned is None or learned.overall.trips < table.min_trips:
                default = room.city.agencies[key].eta_kmh
                typer.echo(f"{key}: {learned.overall.trips if learned else 0} trips, too few;"
                           f" assumes {default:g} km/h")
                continue
            hours = sum(c.trips >= table.min_trips for c in learned.hours.values())
            typer.echo(f"{key}: {learned.overall.kmh:g} km/h from {learned.overall.trips} "
                       f"trips; {hours} of 24 hours learned on their own")
        typer.echo(f"learned from {table.trips} trips")


# --- accounts and credentials ------------------------------------------------------------

users = typer.Typer(help="Accounts of people: admins, mayor, supervisors, operators, officers.",
                    no_args_is_help=True)
tokens = typer.Typer(help="JSON API bearer tokens acting as a user (/api/v1).",
                     no_args_is_help=True)
kiosk = typer.Typer(help="Sign-in links for wall screens (/?kiosk=TOKEN).", no_args_is_help=True)
apikeys = typer.Typer(help="Open311 API keys for citizen apps (rate limited per key).",
                      no_args_is_help=True)
devices = typer.Typer(help="Officers' phones and trackers.", no_args_is_help=True)
units = typer.Typer(help="Units (fire engines, trucks, patrol cars) and their crews; the "
                    "unit board is /units.", no_args_is_help=True)
for group, name in ((users, "users"), (tokens, "tokens"), (kiosk, "kiosk"),
                    (apikeys, "apikeys"), (devices, "devices"), (units, "units")):
    cli.add_typer(group, name=name)


def operator_principal():
    """Whoever runs the CLI on the server acts as the system, named in the audit trail."""
    import getpass

    from liveroom.access import Principal, Role

    return Principal(kind="cli", name=getpass.getuser(), roles=frozenset({Role.SYSTEM}))


def show_issued(issued, extra: str = "") -> None:
    typer.echo(f"id: {issued.id}")
    if issued.officer_id:
        typer.echo(f"officer: {issued.officer_id}")
    typer.echo(f"secret (shown once, keep it safe): {issued.secret}")
    if extra:
        typer.echo(extra)


@users.command("add")
def users_add(
    username: str,
    role: list[str] = typer.Option(..., "--role", "-r", help="Repeatable: admin, mayor, "  # noqa: B008
                                   "supervisor, operator, officer."),
    agency: list[str] = typer.Option(None, "--agency", "-a", help="Repeatable; limits a "  # noqa: B008
                                     "supervisor or officer to these agencies."),
    officer: str = typer.Option(None, "--officer", help="Officer id, for the officer role."),
    name: str = typer.Option(None, "--name", help="Display name."),
) -> None:
    """Add a user; the password is read from standard input (or prompted for)."""
    import sys

    from liveroom.commands.accounts import add_user

    if sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\n")
    with opened_room() as room:
        user = add_user(room, username, password, roles=role, agencies=agency or [],
                        officer_id=officer, display_name=name, by=operator_principal())
        typer.echo(f"added {user['username']} ({', '.join(user['roles'])})")


@users.command("list")
def users_list() -> None:
    """List users and their roles."""
    from liveroom.commands.accounts import list_users

    with opened_room() as room:
        for user in list_users(room, by=operator_principal()):
            state = "" if user["active"] else " (disabled)"
            typer.echo(f"{user['username']}: {', '.join(user['roles'])} "
                       f"{','.join(user['agencies'])}{state}")


@users.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: sign-in refused and sessions ended at once."""
    from liveroom.commands.accounts import update_user

    with opened_room() as room:
        update_user(room, username, active=False, by=operator_principal())
        typer.echo(f"disabled {username}")


@tokens.command("create")
def tokens_create(username: str) -> None:
    """Print a bearer token acting as USERNAME on /api/v1/…"""
    from liveroom.commands.accounts import create_api_token

    with opened_room() as room:
        show_issued(create_api_token(room, username, by=operator_principal()),
                    "use: Authorization: Bearer <secret>")


@kiosk.command("create")
def kiosk_create(name: str, role: str = typer.Option("mayor", help="operator or mayor")) -> None:
    """Print a URL that signs a wall screen in (revocable)."""
    from liveroom.commands.accounts import create_kiosk_link

    with opened_room() as room:
        issued = create_kiosk_link(room, name, role=role, by=operator_principal())
        settings = room.settings
        show_issued(issued, f"url: http://{settings.host}:{settings.port}/?kiosk={issued.secret}")


@apikeys.command("create")
def apikeys_create(name: str) -> None:
    """Print an Open311 API key for a citizen app."""
    from liveroom.commands.accounts import create_api_key

    with opened_room() as room:
        show_issued(create_api_key(room, name, by=operator_principal()))


@devices.command("add")
def devices_add(
    agency: str = typer.Option(..., help="The officer's agency."),
    name: str = typer.Option(..., help="The officer's name."),
    post: str = typer.Option(None, help="Home post id (from the city pack)."),
    shift: str = typer.Option(None, help="Shift code from city.yaml (default: its default)."),
) -> None:
    """Register an officer's device; prints its secret, the id its tracker sends."""
    from liveroom.commands.accounts import add_device

    with opened_room() as room:
        show_issued(add_device(room, name, agency=agency, post_id=post, shift=shift,
                               by=operator_principal()), DEVICE_SECRET)


@devices.command("rotate")
def devices_rotate(credential_id: str) -> None:
    """A new secret for a device (by its id in `devices list`); the old one stops."""
    from liveroom.commands.accounts import rotate_device

    with opened_room() as room:
        show_issued(rotate_device(room, credential_id, by=operator_principal()), DEVICE_SECRET)


DEVICE_SECRET = ("enter the secret as the tracker's device id (OsmAnd `id`, the Traccar "
                 "Client's device identifier); it is also the /ws/device token")


def _revoke_command(group: typer.Typer, what: str) -> None:
    @group.command("revoke", help=f"Revoke {what} by id: it stops working at once.")
    def revoke(credential_id: str) -> None:
        from liveroom.commands.accounts import revoke_credential

        with opened_room() as room:
            revoke_credential(room, credential_id, by=operator_principal())
            typer.echo(f"revoked {credential_id}")

    @group.command("list", help="List them, active and revoked (secrets are never shown).")
    def listing() -> None:
        from liveroom.commands.accounts import list_credentials

        kind = {"an API token": "api_token", "a kiosk link": "kiosk", "an API key": "api_key",
                "a device": "device"}[what]
        with opened_room() as room:
            for row in list_credentials(room, kind=kind, by=operator_principal()):
                state = "revoked" if row["revoked_at"] else "active"
                moved = "  (sends its officer id: rotate it)" if row.get(
                    "sends_officer_id") and not row["revoked_at"] else ""
                typer.echo(f"{row['id']}  {state:7}  {row['name']}{moved}")


for _group, _what in ((tokens, "an API token"), (kiosk, "a kiosk link"),
                      (apikeys, "an API key"), (devices, "a device")):
    _revoke_command(_group, _what)


def _ids(text: str | None) -> list[str]:
    """`a,b` -> ["a", "b"] (empty: none)."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def show_unit(unit) -> str:
    """One line: id, call sign, agency, status (and the task it is on), crew, tracker."""
    status = getattr(unit, "status", "")
    on = f" on {unit.incident_id}/{unit.task_id}" if getattr(unit, "incident_id", "") else ""
    crew = ",".join(unit.crew) or "-"
    tracker = f"  tracker: {unit.tracker}" if unit.tracker else ""
    inactive = "" if unit.active else "  (inactive)"
    return (f"{unit.id}  {unit.call_sign}  {unit.agency}  {status}{on}  crew: {crew}"
            f"{tracker}{inactive}")


@units.command("list")
def units_list(agency: str = typer.Option(None, help="Only this agency's units.")) -> None:
    """List units, active or not, as the live model holds them (which the app keeps current)."""
    from liveroom.live.units import board_agencies, unit_roster

    by = operator_principal()
    with opened_room() as room:
        for unit in unit_roster(room, board_agencies(room.city, by, agency), by=by):
            typer.echo(show_unit(unit))


@units.command("add")
def units_add(
    unit_id: str = typer.Argument(..., metavar="ID", help="e.g. damkar-07"),
    call_sign: str = typer.Option(..., help="What the radio and the board call it."),
    agency: str = typer.Option(..., help="Its agency."),
    post: str = typer.Option(None, help="Home post id (from the city pack)."),
    kind: str = typer.Option("", help="e.g. \"mobil pemadam\"."),
    crew: str = typer.Option(None, help="Officer ids, comma-separated (of its agency)."),
    tracker: str = typer.Option(None, help="The officer id of the device that places it."),
) -> None:
    """Register a unit."""
    from liveroom.commands.units import register_unit

    with opened_room() as room:
        unit = register_unit(room, unit_id, call_sign=call_sign, agency=agency, post_id=post,
                             kind=kind, crew=_ids(crew), tracker=tracker,
                             by=operator_principal())
        typer.echo(f"added {show_unit(unit)}")


@units.command("crew")
def units_crew(unit_id: str = typer.Argument(..., metavar="ID"),
               crew: str = typer.Argument(..., metavar="A,B",
                                          help="Officer ids, comma-separated ('' for none).")
               ) -> None:
    """Give a unit its crew (officers of its agency)."""
    from liveroom.commands.units import change_unit

    with opened_room() as room:
        unit = change_unit(room, unit_id, crew=_ids(crew), by=operator_principal())
        typer.echo(f"{unit.id} crew: {', '.join(unit.crew) or '-'}")


@units.command("status")
def units_status(unit_id: str = typer.Argument(..., metavar="ID"),
                 status: str = typer.Argument(..., metavar="STATUS",
                                              help="available, returning or out_of_service"),
                 reason: str = typer.Option(None, help="Why (out_of_service needs one).")
                 ) -> None:
    """Set a unit's own status (a unit on a task follows its task instead)."""
    from liveroom.commands.units import set_unit_status

    with opened_room() as room:
        unit = set_unit_status(room, unit_id, status, reason=reason, by=operator_principal())
        typer.echo(f"{unit.id} is {unit.status}" + (f": {reason}" if reason else ""))


def demo_credentials(room) -> None:
    """Development: make demo accounts on first start and print them at every start.
    Production: refuse to start while any demo account is active."""
    from liveroom.access import Forbidden
    from liveroom.commands.accounts import create_demo_accounts, ensure_not_demo_in_production

    try:
        ensure_not_demo_in_production(room)
    except Forbidden as exc:
        typer.secho(f"refusing to start: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None
    if room.settings.env == "production":
        return
    saved = room.settings.data_dir / "demo-credentials.txt"
    saved.parent.mkdir(parents=True, exist_ok=True)  # (with external Redis and database,
    created = create_demo_accounts(room)               # nothing else has made it)
    if created:
        saved.write_text("".join(f"{user} {password}\n" for user, password in created.items()))
        saved.chmod(0o600)
    if saved.exists():
        typer.secho("demo accounts (development only; kept in "
                    f"{saved}):", fg="yellow")
        for line in saved.read_text().splitlines():
            user, _, password = line.partition(" ")
            typer.secho(f"  {user:12} {password}", fg="yellow")


def main() -> None:
    """Run a command; a refusal, a bad argument or an unreachable server is one line on
    standard error (exit 2, or 1 for a server), never a traceback."""
    import signal
    import sys

    import redis
    from sqlalchemy.exc import OperationalError
    from typer._click.exceptions import NoArgsIsHelpError  # (typer vendors click)
    from typer.exceptions import TyperException

    from liveroom.backup import BackupError
    from liveroom.domain.errors import ArchiveUnavailable, DomainError

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stop as Ctrl-C does: cleanly
    try:
        code = cli(standalone_mode=False)
    except NoArgsIsHelpError as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except TyperException as exc:  # a bad argument or option
        context = getattr(exc, "ctx", None)
        hint = f" (see: {context.command_path} --help)" if context else ""
        fail(f"error: {exc.format_message()}{hint}", 2)
    except typer.Abort:
        fail("stopped", 130)
    except ArchiveUnavailable as exc:  # (a DomainError, but a server's, not a refusal)
        fail(f"cannot reach the database: {exc.__cause__ or exc}".splitlines()[0], 1)
    except DomainError as exc:
        fail(f"refused: {exc}", 2)
    except BackupError as exc:
        fail(str(exc), exc.code)
    except (redis.ConnectionError, OperationalError) as exc:
        fail(f"cannot reach {'Redis' if isinstance(exc, redis.RedisError) else 'the database'}"
             f": {str(exc).splitlines()[0]}", 1)
    sys.exit(code if isinstance(code, int) else 0)


def fail(message: str, code: int) -> None:
    typer.secho(" ".join(message.split()), fg="red", err=True)
    raise SystemExit(code)
