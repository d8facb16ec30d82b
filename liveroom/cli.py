"""Command line: run the app, rebuild projections, seed demo data, migrate the archive."""

from __future__ import annotations

import logging
from contextlib import contextmanager

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
    from liveroom.archive import migrate
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
        yield room
    finally:
        room.close()


@cli.command()
def run() -> None:
    """Start the app (and its projections) at LIVEROOM_HOST:LIVEROOM_PORT."""
    import uvicorn

    from app import create_app
    from liveroom.connections import stop_embedded_redis

    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with opened_room() as room:
        settings = room.settings
        typer.echo(f"LIVE Room {room.city.name}: http://{settings.host}:{settings.port}/")
        dash_app = create_app(room)
        try:
            uvicorn.run(dash_app.server, host=settings.host, port=settings.port,
                        log_level="info")
        finally:
            room.close()
            stop_embedded_redis()


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
def seed(
    officers_per_post: int = typer.Option(2, min=0, max=50, help="Officers at each post."),
    reports: int = typer.Option(20, min=0, max=10_000, help="Demo citizen reports."),
) -> None:
    """Add demo officers and reports for the city pack (skips officers that exist)."""
    from liveroom.services.seed import seed_demo

    with opened_room() as room:
        result = seed_demo(room, officers_per_post=officers_per_post, reports=reports)
        typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())


def main() -> None:
    cli()
