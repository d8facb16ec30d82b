"""What one wall screen shows, from its address: `?agency=damkar,dishub&district=36.71.05
&category=banjir&status=triaged` (each a comma list; empty: everything). A screen is
configured by its link, kiosk links included."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

FIELDS = ("agency", "district", "category", "status")


@dataclass(frozen=True)
class ScreenFilter:
    agency: frozenset[str] = frozenset()
    district: frozenset[str] = frozenset()
    category: frozenset[str] = frozenset()
    status: frozenset[str] = frozenset()

    @classmethod
    def from_query(cls, search: str | None) -> ScreenFilter:
        query = parse_qs((search or "").lstrip("?"))
        return cls(**{name: frozenset(v.strip() for value in query.get(name, [])
                                      for v in value.split(",") if v.strip())
                      for name in FIELDS})

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in FIELDS)

    def admits(self, incident: dict) -> bool:
        """Whether an incident (its live fields) is on this screen."""
        return all(not getattr(self, name) or incident.get(name) in getattr(self, name)
                   for name in FIELDS)

    def admits_agency(self, agency: str | None) -> bool:
        return not self.agency or agency in self.agency


#: the filter of a screen that shows everything
EVERYTHING = ScreenFilter()
