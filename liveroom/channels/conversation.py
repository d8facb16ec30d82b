"""A citizen's report by chat, in Bahasa Indonesia (English on request: "english",
"bahasa"): the category from a numbered list, the location (a shared point, or a kecamatan
and address typed: placed at the kecamatan's middle, marked approximate), a similar open
report nearby offered first, an optional photo ("lewati"), a description, the category's
required questions, a summary to confirm ("ya"); then the report, as the citizen page
makes it, and its tracking link. "batal" cancels at any step; "status <nomor>" answers a
report's public status; with no report under way, a reply to "Sudah beres?" rates or
reopens the report it was asked of (`channels.feedback`). Replies go to the outbox
(`notify.outbox`), once per provider message."""

from __future__ import annotations

import re
from collections.abc import Callable

import orjson
from pydantic import ValidationError

from liveroom.access import SYSTEM
from liveroom.access import sessions as session_store
from liveroom.channels import Inbound, citizen, feedback, questions, reporter_of, state
from liveroom.channels.media import FetchFailed, fetch
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND, report_incident
from liveroom.commands.media import PhotoRefused, discard_photo, store_photo
from liveroom.domain import incident as domain
from liveroom.domain.errors import DomainError, NotFound
from liveroom.domain.incident import Incident
from liveroom.i18n import refusal, translate
from liveroom.live.similar import similar_open_incidents
from liveroom.notify.outbox import Outgoing, enqueue
from liveroom.reporting.reports import public_report
from liveroom.room import LiveRoom

YES, NO = {"ya", "y", "iya", "yes", "ok"}, {"tidak", "tdk", "no", "bukan"}
CANCEL, SKIP = {"batal", "cancel"}, {"lewati", "skip"}
LANGUAGE = {"english": "en", "inggris": "en", "bahasa": "id", "indonesia": "id",
            "bahasa indonesia": "id"}
STATUS = re.compile(r"\s*(?:status|cek)\s+([0-9]{6})\s*-?\s*([0-9a-z]{5})\s*", re.I)
Replies = list[str]


def respond(room: LiveRoom, message: Inbound) -> int:
    """Handle one message and queue its replies (once per provider message id); how many."""
    lang, replies = handle(room, message)
    for n, text in enumerate(replies):
        enqueue(room, Outgoing(channel=message.channel, to=message.sender, text=text[:4096],
                               lang=lang, step="reply"),
                key=f"reply:{message.channel}:{message.message_id}:{n}")
    return len(replies)


def handle(room: LiveRoom, message: Inbound) -> tuple[str, Replies]:
    """(the language, the replies) to one message; the conversation moved on."""
    now = state.load(room, message.channel, message.sender)
    lang = now.get("lang", "id")
    word = " ".join((message.text or "").lower().split())
    if found := STATUS.fullmatch(message.text or ""):
        return lang, [_status(room, message, f"{found[1]}-{found[2].upper()}", lang)]
    if word in LANGUAGE:
        lang = now["lang"] = LANGUAGE[word]
        now.setdefault("step", "category")
        state.save(room, message.channel, message.sender, now)
        return lang, [translate("chat.language", lang), prompt(room, now, lang, first=True)]
    if word in CANCEL:
        discard_photo(room, now.get("media_url"))
        state.clear(room, message.channel, message.sender)
        return lang, [translate("chat.cancelled", lang)]
    if not now.get("step") and (answered := feedback.answer(room, message, lang)):
        return lang, answered
    if not now.get("step"):
        state.save(room, message.channel, message.sender, {"lang": lang, "step": "category"})
        return lang, [prompt(room, {"step": "category"}, lang, first=True)]
    replies = STEPS.get(now["step"], _category)(room, message, now, word, lang)
    if now:
        state.save(room, message.channel, message.sender, now)
    else:
        state.clear(room, message.channel, message.sender)
    return lang, replies


def prompt(room: LiveRoom, now: dict[str, str], lang: str, *, first: bool = False) -> str:
    """What the current step asks for."""
    city, step = room.city, now.get("step", "category")
    if step == "category":
        choices = "\n".join(f"{n}. {c.name.get(lang)}"
                            for n, c in enumerate(city.categories.values(), 1))
        return translate("chat.welcome" if first else "chat.pick_category", lang,
                         city=city.name, choices=choices)
    if step == "location":
        return translate("chat.ask_location", lang, category=_category_name(room, now, lang),
                         example=next(iter(city.districts.values())).name)
    if step == "similar":
        return translate("chat.similar_help", lang, number=now["similar"])
    if step == "photo":
        return translate("chat.ask_photo", lang)
    if step == "description":
        return translate("chat.ask_description", lang)
    category = city.categories.get(now.get("category", ""))
    question = questions.pending(category, _answers(now)) if category else None
    if step == "question" and question:
        return questions.ask(question, lang)
    district = city.districts.get(now.get("district", ""))
    location = translate("chat.location_typed", lang, address=now.get("address", ""),
                         district=district.name) if district else translate(
        "chat.location_shared", lang)
    answered = "".join(f"\n{q}: {a}" for q, a in category.describe_answers(
        _answers(now), lang)) if category else ""
    return translate("chat.confirm", lang, category=_category_name(room, now, lang),
                     location=location, description=now.get("description", "") + answered,
                     photo=translate("chat.photo_attached" if now.get("media_url")
                                     else "chat.photo_none", lang))


def _category_name(room: LiveRoom, now: dict[str, str], lang: str) -> str:
    category = room.city.categories.get(now.get("category", ""))
    return category.name.get(lang) if category else ""


def _category(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    categories = list(room.city.categories.values())
    if word.isdigit() and 1 <= int(word) <= len(categories):
        now.update(step="location", category=categories[int(word) - 1].code)
    return [prompt(room, now, lang)]


def _location(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    city = room.city
    if message.location:
        (lat, lon), district = message.location, None
        if not city.contains(lat, lon):
            return [translate("chat.outside", lang, city=city.name)]
        now.update(lat=str(lat), lon=str(lon), approximate="0")
    else:
        district = city.district_named_in(message.text or "")
        if district is None:
            return [translate("chat.location_unknown", lang, city=city.name, districts=", ".join(
                d.name for d in city.districts.values()))]
        lat, lon = district.middle
        now.update(lat=str(lat), lon=str(lon), approximate="1", district=district.code,
                   address=(message.text or "")[:500])
    similar = similar_open_incidents(room, now["category"], lat, lon, by=SYSTEM, limit=1,
                                     district=district.code if district else None)
    if similar:
        found = similar[0]
        now.update(step="similar", similar=found.id)
        category = city.categories.get(found.category)
        return [translate("chat.similar", lang, number=found.id, distance=found.distance_m,
                          category=category.name.get(lang) if category else found.category,
                          status=translate(f"status.{found.status}", lang))]
    now["step"] = "photo"
    return [prompt(room, now, lang)]


def _similar(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    if word in NO:
        now["step"] = "photo"
        return [prompt(room, now, lang)]
    if word not in YES:
        return [prompt(room, now, lang)]
    number = now["similar"]
    actor = citizen(message.channel).actor

    def decide(incident: Incident):
        return domain.decide_add_reporter(incident, message.channel, reporter_of(message, lang),
                                          "", room.clock(), actor)

    try:
        aggregates.execute(room, KIND, Incident, domain.evolve, number, decide, None)
    except DomainError as exc:  # closed meanwhile: a new report after all
        now["step"] = "photo"
        return [translate("chat.refused", lang, reason=refusal(exc, lang)),
                prompt(room, now, lang)]
    now.clear()
    return [translate("chat.joined", lang, number=number, link=_link(room, number, lang))]


def _photo(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    if word in SKIP:
        now["step"] = "description"
        return [prompt(room, now, lang)]
    if message.text or message.location:
        return [prompt(room, now, lang)]
    try:
        if not message.media:
            raise FetchFailed("no media")
        now["media_url"] = store_photo(room, fetch(room.settings, message.channel,
                                                   message.media))
    except FetchFailed:
        return [translate("chat.photo_failed", lang)]
    except PhotoRefused as exc:
        reason = translate(f"report.photo.{exc.reason}", lang,
                           mb=room.settings.photo_max_bytes // 1_000_000)
        return [translate("chat.photo_refused", lang, reason=reason)]
    now["step"] = "description"
    return [prompt(room, now, lang)]


def _description(room: LiveRoom, message: Inbound, now: dict, word: str,
                 lang: str) -> Replies:
    if message.text:
        now.update(step="question", description=message.text)
        _next_question(room, now)
    return [prompt(room, now, lang)]


def _question(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    category = room.city.categories.get(now.get("category", ""))
    question = questions.pending(category, _answers(now)) if category else None
    if question is not None:
        answer = questions.understood(question, message.text or "")
        if answer is None:
            return [prompt(room, now, lang)]
        now["answers"] = orjson.dumps({**_answers(now), question.code: answer}).decode()
    _next_question(room, now)
    return [prompt(room, now, lang)]


def _next_question(room: LiveRoom, now: dict) -> None:
    """On to the next required question, or to the confirmation."""
    category = room.city.categories.get(now.get("category", ""))
    if category is None:  # (gone from the city pack meanwhile: choose again)
        now["step"] = "category"
    else:
        now["step"] = "question" if questions.pending(category, _answers(now)) else "confirm"


def _answers(now: dict) -> dict:
    return orjson.loads(now.get("answers") or "{}")


def _confirm(room: LiveRoom, message: Inbound, now: dict, word: str, lang: str) -> Replies:
    if word in NO:
        discard_photo(room, now.get("media_url"))
        now.clear()
        return [translate("chat.cancelled", lang)]
    if word not in YES:
        return [translate("chat.confirm_help", lang)]
    try:
        incident = report_incident(
            room, category=now["category"], lat=float(now["lat"]), lon=float(now["lon"]),
            source=message.channel, by=citizen(message.channel),
            description=now.get("description", ""), address=now.get("address"),
            media_url=now.get("media_url"), reporter=reporter_of(message, lang),
            attributes=_answers(now), location_approximate=now.get("approximate") == "1")
    except (DomainError, ValidationError) as exc:
        discard_photo(room, now.get("media_url"))
        now.clear()
        return [translate("chat.refused", lang, reason=refusal(exc, lang)[:300])]
    now.clear()
    return [translate("chat.reported", lang, number=incident.id,
                      link=_link(room, incident.id, lang))]


def _status(room: LiveRoom, message: Inbound, number: str, lang: str) -> str:
    wait = session_store.lookups_refused(room, f"{message.channel}:{message.sender}")
    if wait:
        return translate("chat.status_wait", lang, minutes=wait // 60 + 1)
    try:
        report = public_report(room, number)
    except NotFound:
        return translate("chat.status_unknown", lang, number=number)
    return translate("chat.status", lang, number=number, link=_link(room, number, lang),
                     status=translate(f"status.{report.status}", lang))


def _link(room: LiveRoom, number: str, lang: str) -> str:
    suffix = "?lang=en" if lang == "en" else ""
    return f"{room.settings.public_url.rstrip('/')}/lapor/{number}{suffix}"


STEPS: dict[str, Callable[[LiveRoom, Inbound, dict, str, str], Replies]] = {
    "category": _category, "location": _location, "similar": _similar, "photo": _photo,
    "description": _description, "question": _question, "confirm": _confirm}
