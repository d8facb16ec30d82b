"""The tracking page's "Sudah beres? Nilai 1–5" and "Belum beres" (`commands.feedback`).

A tracking number can be guessed, so the page asks for something only the reporter has:
the last 4 digits of the phone number they left, or the e-mail address they left. A reporter
who left neither answers on the channel they reported by (a chat), not here. Wrong proofs
are counted per report: after `WRONG_PROOFS` in an hour the report takes no more (that
hour), whoever asks; every attempt also counts against the address's look-up budget.
"""

from __future__ import annotations

import re
from datetime import datetime

from starlette.datastructures import FormData

from liveroom.access import Principal
from liveroom.access import sessions as session_store
from liveroom.commands.feedback import rate_incident, reopen_incident
from liveroom.commands.incidents import get_incident
from liveroom.domain.caller import Caller
from liveroom.domain.errors import DomainError, NotFound
from liveroom.domain.feedback import COMMENT_MAX, RATEABLE, within_window
from liveroom.domain.incident import Incident
from liveroom.i18n import format_datetime, refusal, translate
from liveroom.room import LiveRoom

WRONG_PROOFS = 5  # per report and hour
PROOF_MAX = 254  # an e-mail address's longest
BODY_MAX = 8_000  # the form's body: a comment, a proof, a rating, the token
#: refusals the page says in its own words (others: the generic one)
SAID = frozenset({"not_resolved", "already_rated", "reopen_window_passed", "bad_rating",
                  "comment_too_long", "not_reporter"})


class FeedbackRefused(Exception):
    """A translated reason to show on the page, with its HTTP status; nothing was kept."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def proven_caller(incident: Incident, proof: str) -> Caller | None:
    """The caller whose phone ends in these 4 digits, or whose e-mail this is."""
    proof = proof.strip()
    for caller in incident.callers:
        if re.fullmatch(r"[0-9]{4}", proof) and caller.phone and re.sub(
                r"\D", "", caller.phone).endswith(proof):
            return caller
        if "@" in proof and caller.email and caller.email.strip().lower() == proof.lower():
            return caller
    return None


def feedback_view(room: LiveRoom, incident_id: str, lang: str) -> dict | None:
    """What the page's feedback part shows: whether it takes a rating now, whether "not
    fixed" still reopens it, and the ratings given (no comments, no names: a public page)."""
    try:
        incident = get_incident(room, incident_id)
    except NotFound:
        return None
    zone = room.city.timezone
    resolution = incident.reopened + 1
    return {
        "open": incident.status in RATEABLE and incident.resolved_at is not None,
        "can_reopen": within_window(incident, room.clock(), room.city.reopen_window_days),
        "window_days": room.city.reopen_window_days,
        "given": [(f.rating, format_datetime(f.at, zone, lang)) for f in incident.feedback
                  if f.rating],
        "answered_now": sum(f.resolution == resolution for f in incident.feedback),
        "reopened_at": format_datetime(incident.reopened_at, zone, lang)
        if incident.reopened_at else None,
        "comment_max": COMMENT_MAX,
    }


def submit_feedback(room: LiveRoom, incident_id: str, form: FormData, lang: str, *,
                    by: Principal) -> str:
    """Check the form and the proof, then rate or reopen: "rated" or "reopened"."""
    action = str(form.get("action") or "")
    proof = str(form.get("bukti") or "").strip()
    comment = str(form.get("komentar") or "").strip()
    if len(proof) > PROOF_MAX or len(comment) > COMMENT_MAX:
        raise FeedbackRefused(translate("feedback.too_long", lang, limit=COMMENT_MAX))
    rating = None
    if action == "rate":
        rating = int(form["nilai"]) if str(form.get("nilai") or "") in set("12345") else None
        if rating is None:
            raise FeedbackRefused(translate("feedback.pick_rating", lang))
    elif action != "not_fixed":
        raise FeedbackRefused(translate("report.malformed", lang))
    if not proof:
        raise FeedbackRefused(translate("feedback.proof_needed", lang))
    subject = f"feedback-proof:{incident_id}"
    if wait := session_store.rate_limited(room, subject, WRONG_PROOFS - 1, 3600, cost=0):
        raise FeedbackRefused(translate("feedback.locked", lang, minutes=wait // 60 + 1), 429)
    try:
        incident = get_incident(room, incident_id)
    except NotFound:
        raise FeedbackRefused(translate("tracking.not_found", lang, number=incident_id),
                              404) from None
    caller = proven_caller(incident, proof)
    if caller is None:
        session_store.rate_limited(room, subject, WRONG_PROOFS, 3600)
        raise FeedbackRefused(translate("feedback.wrong_proof", lang), 403)
    reporter = {"phone": caller.phone or "", "email": caller.email or "",
                "telegram": caller.telegram or ""}
    reporter = {k: v for k, v in reporter.items() if v}
    try:
        if rating is not None:
            done = rate_incident(room, incident_id, rating, by=by, source="web",
                                 reporter=reporter, comment=comment)
        else:
            done = reopen_incident(room, incident_id, by=by, source="web", reporter=reporter,
                                   comment=comment)
    except DomainError as exc:
        said = refusal(exc, lang) if exc.code in SAID else translate("feedback.refused", lang)
        raise FeedbackRefused(said) from None
    return "reopened" if _reopened_now(done) else "rated"


def _reopened_now(incident: Incident) -> bool:
    at: datetime | None = incident.reopened_at
    return at is not None and at == incident.updated_at

