"""City packs: per-city configuration (agencies, categories, districts, posts)."""

from liveroom.cities.loader import CityPackError, available_cities, load_city
from liveroom.cities.model import Agency, Category, City, District, LocalizedText, Post, Shift

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
