"""A reporter's answer by chat to "Sudah beres?": the resolved report's message asks it
(`ask`, from the notification policy), and the next reply that reads as a rating ("1".."5",
a comment after it) or "belum beres" rates or reopens that report
(`commands.feedback.feedback_from_reporter`: after the city's reopen window a rating is kept
and "belum beres" refused). Remembered `ANSWER_DAYS` (or the window, if longer); after
that, or once answered, replies start a new report as any other."""

from __future__ import annotations

from liveroom.channels import Inbound, citizen, reporter_of
from liveroom.commands.feedback import feedback_from_reporter
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate
from liveroom.room import LiveRoom

#: the chats a reporter can answer on (e-mail: the tracking page's form)
CHATS = ("whatsapp", "telegram", "sms")
#: how long a chat's next reply may answer "Sudah beres?"
ANSWER_DAYS = 30


def ask(room: LiveRoom, channel: str, sender: str, incident_id: str) -> None:
    """Remember that `sender` was asked to rate `incident_id` (the latest ask wins)."""
    if channel in CHATS:
        days = max(ANSWER_DAYS, room.city.reopen_window_days)
        room.redis.set(room.keys.feedback_asked(channel, sender), incident_id, ex=days * 86400)


def answer(room: LiveRoom, message: Inbound, lang: str) -> list[str] | None:
    """The replies to a rating or "belum beres" of the report `message`'s sender was asked
    of; None when they were asked nothing or this reads as neither."""
    key = room.keys.feedback_asked(message.channel, message.sender)
    incident_id = room.redis.get(key)
    if not incident_id or not message.text:
        return None
    try:
        done = feedback_from_reporter(room, incident_id, text=message.text,
                                      reporter=reporter_of(message, lang),
                                      source=message.channel, by=citizen(message.channel))
    except DomainError as exc:  # rated already, the window passed, not theirs
        room.redis.delete(key)
        return [translate("chat.feedback_refused", lang, number=incident_id,
                          reason=refusal(exc, lang))]
    if not done.understood:
        return None
    room.redis.delete(key)
    said = "chat.feedback_reopened" if done.reopened else "chat.feedback_thanks"
    return [translate(said, lang, number=incident_id, rating=done.rating or "-")]
