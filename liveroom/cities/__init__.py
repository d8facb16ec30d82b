"""City packs: per-city configuration (agencies, categories, districts, posts, dispatch)."""

from liveroom.cities.dispatch import DispatchRules, ExternalBody, RunCard
from liveroom.cities.loader import CityPackError, available_cities, load_city
from liveroom.cities.model import Agency, Category, City, District, LocalizedText, Post, Shift

__all__ = [
    "Agency",
    "Category",
    "City",
    "CityPackError",
    "DispatchRules",
    "District",
    "ExternalBody",
    "LocalizedText",
    "Post",
    "RunCard",
    "Shift",
    "available_cities",
    "load_city",
]
