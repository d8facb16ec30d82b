"""The supervisor's alert phone (`/siaga`): the incidents an escalation rule alerted their
agencies' supervisors about and nobody has acknowledged yet, the latest alerted first. The
same list as the wall's strip (`overview.escalated`), narrowed to the agencies the
supervisor sees; small JSON, for a phone on a slow connection."""

from __future__ import annotations

from collections.abc import Iterable

from liveroom.access import Action, Forbidden, Principal, Role
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.live.overview import escalated, visible
from liveroom.live.screen_filter import EVERYTHING
from liveroom.room import LiveRoom

#: who the page is for: the people the alerts are addressed to
SUPERVISING = frozenset({Role.SUPERVISOR, Role.ADMIN})
#: alerts listed at most (the longest-alerted beyond these are on the wall)
LIMIT = 50


def check_supervisor(by: Principal) -> None:
    """Forbidden unless a signed-in supervisor or admin (a kiosk screen is nobody's phone)."""
    if by.kind == "kiosk" or not by.roles & SUPERVISING:
        raise Forbidden(f"{by.actor} is not a supervisor")
    by.check(Action.VIEW_LIVE)


def alert_state(room: LiveRoom, by: Principal, lang: str) -> dict:
    """The alerts now (`alerts`, the latest first) and the server's time (`at`: the page
    counts how long each deadline has been missed from it, whatever its own clock says)."""
    check_supervisor(by)
    found = escalated(room, visible(EVERYTHING, by), LIMIT, newest_first=True)
    return {"at": room.clock().isoformat(),
            "alerts": [_alert(room.city, data, lang) for data in found]}


def touches(room: LiveRoom, incident_ids: Iterable[str], shown: Iterable[str]) -> bool:
    """Whether changes to these incidents may alter the list: one is shown, or one is
    alerted now (the list grew)."""
    changed = set(incident_ids)
    if not changed:
        return False
    return bool(changed & set(shown)) or bool(
        changed & set(room.redis.zrange(room.live.escalated, 0, -1)))


def _alert(city: City, data: dict, lang: str) -> dict:
    category = city.categories.get(data.get("category", ""))
    district = city.districts.get(data.get("district", ""))
    agency = city.agencies.get(data.get("agency", ""))
    deadline = data.get("alert_deadline") or "acknowledge"  # (alerted before it was kept)
    rule = next((r for r in city.escalation if r.code == data.get("alert_rule")), None)
    text = translate(f"siaga.rule.{deadline}", lang)
    if rule and rule.after_minutes:
        text += " " + translate("siaga.rule_after", lang, minutes=rule.after_minutes)
    return {
        "id": data["id"],
        "category": data.get("category"),
        "category_name": category.name.get(lang) if category else data.get("category"),
        "priority": int(data.get("priority") or 4),
        "agency_name": agency.label(lang) if agency else data.get("agency"),
        "address": data.get("address") or None,
        "district_name": district.name if district else None,
        "status_name": translate(f"status.{data.get('status')}", lang),
        "deadline": deadline,
        "due": data.get("alert_due") or data.get(f"{deadline}_due") or None,
        "alerted_at": data.get("escalated_alert_supervisors") or None,
        "rule": text,
        "rule_code": rule.code if rule else data.get("alert_rule"),
    }
