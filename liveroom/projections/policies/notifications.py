"""The notification policy: tells every reporter of an incident each step they should know.

It reads the incidents stream (as the merge policy, under its own lease and checkpoint)
and, for a report received (or a reporter added), the first assignment or forwarding, the
first officer on scene, the resolution (the officer's after-photo and a request to rate:
a chat's reply answers it, `channels.feedback`), a rejection (with its reason), a link to
another report (a duplicate) and a reopening (each step told again after it), puts a message
in the outbox (`notify.outbox.enqueue`) for each of the incident's callers (after a merge,
the survivor's include the duplicate's) on the channel they came by. Each is made once per
(incident, reporter, step): the outbox's key markers make a replay or a restart add none.
Steps older than `notify_max_age_hours` are not told (a policy started on an old stream).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from liveroom.channels import feedback
from liveroom.commands.incidents import get_incident
from liveroom.domain.caller import Caller
from liveroom.domain.errors import DomainError
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentReopened,
    IncidentStatusChanged,
    ReporterAdded,
    ReportReceived,
    TaskForwarded,
)
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import Status
from liveroom.i18n import translate
from liveroom.notify.outbox import Channel, Outgoing, enqueue
from liveroom.projections.base import DeadLetter, Entry, Policy

log = logging.getLogger("liveroom.notifications")


def contact(caller: Caller) -> tuple[Channel, str] | None:
    """Where a caller is told: the chat or SMS they wrote from, else the e-mail they left
    (Open311, the web form), else an SMS to the phone they left; None when none."""
    if caller.source in ("whatsapp", "sms") and caller.phone:
        return caller.source, caller.phone  # type: ignore[return-value]
    if caller.source == "telegram" and caller.telegram:
        return "telegram", caller.telegram
    if caller.email:
        return "email", caller.email
    if caller.phone:  # a caller by phone at the desk, or Open311's phone alone: SMS
        return "sms", caller.phone
    return None


def step_of(event: Event) -> tuple[str, dict[str, str]] | None:
    """The step a reporter is told of (and its values), or None for an event they are not."""
    if isinstance(event, ReportReceived | ReporterAdded):
        return "received", {}
    if isinstance(event, IncidentAssigned):
        return "assigned", {"agency": event.agency}
    if isinstance(event, IncidentReopened):
        return "reopened", {}
    if isinstance(event, TaskForwarded):
        return "forwarded", {"body": event.body}
    if isinstance(event, IncidentStatusChanged):
        if event.to_status is Status.ON_SCENE:
            return "on_scene", {}
        if event.to_status is Status.RESOLVED:
            return "resolved", {"media_url": event.media_url or ""}
        if event.to_status is Status.REJECTED:
            return "rejected", {"reason": event.reason or "-"}
        if event.to_status is Status.DUPLICATE and event.duplicate_of:
            return "linked", {"other": event.duplicate_of}
    return None


def round_at(incident: Incident, event: Event) -> int:
    """How often the incident had been reopened when `event` happened."""
    return sum(1 for answer in incident.feedback
               if answer.reopened and answer.at <= event.occurred_at
               and not isinstance(event, IncidentReopened))


def told_already(event: Event) -> tuple[str, str] | None:
    """Who needs no message of `event`: the reporter who reopened it (answered in the
    chat), by where they are told."""
    if isinstance(event, IncidentReopened):
        return contact(Caller.of(event.source, event.reporter, event.occurred_at))
    return None


class NotificationPolicy(Policy):
    name = "notification-policy"
    stream = "incidents"

    def reset(self) -> None:
        self.room.redis.delete(self.room.keys.checkpoint(self.name))

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        oldest = self.room.clock() - timedelta(hours=self.room.settings.notify_max_age_hours)
        for entry in entries:
            event = entry.event
            if event is None or event.occurred_at < oldest or not (step := step_of(event)):
                continue
            try:
                incident = get_incident(self.room, event.aggregate_id)
            except DomainError as exc:  # no aggregate (an imported history)
                log.info("reporters of %s not told: %s", event.aggregate_id, exc)
                continue
            self.tell(incident, *step, round_at(incident, event), told_already(event))
        self.advance(expected, entries[-1].id)
        return []

    def tell(self, incident: Incident, step: str, values: dict[str, str], round_: int = 0,
             skip: tuple[str, str] | None = None) -> int:
        """Enqueue `step` for each reachable caller of `incident` (but `skip`, who answered
        in the chat already); how many were new. A step is told again after each reopening
        (`round_`: how many came before it)."""
        made = 0
        for caller in incident.callers:
            if (reached := contact(caller)) is None or reached == skip:
                continue
            channel, to = reached
            message = self.message(incident, caller, channel, to, step, values)
            again = f":{round_}" if round_ else ""
            new = enqueue(self.room, message, key=f"{incident.id}:{channel}:{to}:{step}{again}")
            if new and step == "resolved":  # (a batch read again asks nobody twice)
                feedback.ask(self.room, channel, to, incident.id)
            made += new
        return made

    def message(self, incident: Incident, caller: Caller, channel: Channel, to: str,
                step: str, values: dict[str, str]) -> Outgoing:
        lang = caller.lang if caller.lang in ("id", "en") else "id"
        base = self.room.settings.public_url
        agency = self.room.city.agencies.get(values.get("agency", ""))
        body = self.room.city.external_bodies.get(values.get("body", ""))
        page = step == "resolved" and channel == "email"  # (answered on the tracking page)
        text = translate(
            "notify.resolved_page" if page else f"notify.{step}", lang, number=incident.id,
            link=f"{base}/lapor/{incident.id}",
            agency=agency.name.get(lang) if agency else values.get("agency", ""),
            body=body.name.get(lang) if body else values.get("body", ""),
            reason=values.get("reason", ""), other=values.get("other", ""),
            other_link=f"{base}/lapor/{values.get('other', '')}")
        subject = translate("notify.subject", lang, number=incident.id,
                            status=translate(f"notify.step.{step}", lang))
        return Outgoing(channel=channel, to=to, text=text, lang=lang, subject=subject,
                        media_url=values.get("media_url") or None, incident_id=incident.id,
                        step=step)

    def sweep(self) -> list[str]:
        return []
