"""City packs: per-city configuration (agencies, categories, districts, posts)."""

from liveroom.cities.pack import (
    Agency,
    Category,
    City,
    CityPackError,
    District,
    LocalizedText,
    Post,
    Shift,
    available_cities,
    load_city,
)

__all__ = [
    "Agency",
    "Category",
    "City",
    "CityPackError",
    "District",
    "LocalizedText",
    "Post",
    "Shift",
    "available_cities",
    "load_city",
]
