"""Admins' changes laid over a city pack (stored in the archive's `city_overrides`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from liveroom.archive import schema
from liveroom.cities.model import Agency, Category, City


def overridden(base: City, engine: Engine) -> City:
    """The pack with the admins' changes laid over it."""
    table = schema.city_overrides
    with engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.city == base.slug)).mappings().all()
    agencies, categories = dict(base.agencies), dict(base.categories)
    for row in rows:
        if row["kind"] == "agency":
            agencies[row["code"]] = Agency.model_validate(row["data"])
        else:
            categories[row["code"]] = Category.model_validate(row["data"])
    return base.model_copy(update={"agencies": agencies, "categories": categories})
