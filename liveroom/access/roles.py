"""Who may do what: roles, actions, the principal acting, and the one permission table."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from liveroom.domain.errors import DomainError


class Role(StrEnum):
    ADMIN = "admin"
    MAYOR = "mayor"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    OFFICER = "officer"
    CITIZEN_APP = "citizen_app"  # an Open311 client holding an API key
    SYSTEM = "system"  # seed, simulator, migrations: never a person


class Action(StrEnum):
    VIEW_LIVE = "view_live"
    VIEW_KPI = "view_kpi"
    REPORT = "report"
    ENTER_REPORT = "enter_report"  # at the desk, for a caller (phone, 112, radio, …)
    TRIAGE = "triage"
    ASSIGN = "assign"
    REASSIGN = "reassign"
    CHANGE_STATUS = "change_status"
    ADD_NOTE = "add_note"
    WORK_OWN_TASKS = "work_own_tasks"
    REGISTER_OFFICER = "register_officer"
    MANAGE_UNITS = "manage_units"  # register units, set their crews and trackers
    ATTEND = "attend"  # check in/out, share location: one's own only
    MANAGE_ACCOUNTS = "manage_accounts"
    VIEW_AUDIT = "view_audit"
    READ_API_DOCS = "read_api_docs"  # Swagger UI at /api/v1/docs (the document is public)


R = Role
#: The whole policy. Scope (agencies, own tasks) is checked on top, in `Principal.check`.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_LIVE: frozenset({R.ADMIN, R.MAYOR, R.SUPERVISOR, R.OPERATOR}),
    Action.VIEW_KPI: frozenset({R.ADMIN, R.MAYOR, R.SUPERVISOR}),
    Action.REPORT: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR, R.CITIZEN_APP}),
    Action.ENTER_REPORT: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR}),
    Action.TRIAGE: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR}),
    Action.ASSIGN: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR}),
    Action.REASSIGN: frozenset({R.ADMIN, R.SUPERVISOR}),
    Action.CHANGE_STATUS: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR}),
    Action.ADD_NOTE: frozenset({R.ADMIN, R.SUPERVISOR, R.OPERATOR, R.OFFICER}),
    Action.WORK_OWN_TASKS: frozenset({R.OFFICER}),
    Action.REGISTER_OFFICER: frozenset({R.ADMIN}),
    Action.MANAGE_UNITS: frozenset({R.ADMIN, R.SUPERVISOR}),
    Action.ATTEND: frozenset({R.OFFICER}),
    Action.MANAGE_ACCOUNTS: frozenset({R.ADMIN}),
    Action.VIEW_AUDIT: frozenset({R.ADMIN}),
    Action.READ_API_DOCS: frozenset({R.ADMIN}),
}
for _action in Action:  # the system identity may do everything
    PERMISSIONS[_action] = PERMISSIONS[_action] | {R.SYSTEM}


class Forbidden(DomainError):
    """The principal may not do this; nothing was changed."""

    code = "forbidden"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user, a kiosk screen, an API client, a device, or the system.

    `agencies` limits a supervisor or officer to those agencies (empty: all);
    `officer_id` is set for field officers and their devices.
    """

    kind: str
    name: str
    roles: frozenset[Role]
    agencies: frozenset[str] = field(default_factory=frozenset)
    officer_id: str | None = None

    @property
    def actor(self) -> str:
        """How the audit trail and events name this principal."""
        return f"{self.kind}:{self.name}"

    def can(self, action: Action, agency: str | None = None,
            officer_id: str | None = None) -> bool:
        if not self.roles & PERMISSIONS[action]:
            return False
        if Role.SYSTEM in self.roles or Role.ADMIN in self.roles:
            return True
        if agency is not None and self.agencies and agency not in self.agencies:
            return False
        if action in (Action.WORK_OWN_TASKS, Action.ATTEND) or self.roles == {Role.OFFICER}:
            return officer_id is not None and officer_id == self.officer_id
        return True

    def check(self, action: Action, agency: str | None = None,
              officer_id: str | None = None) -> None:
        """Raise Forbidden unless `can` (the refusal names who, what and where)."""
        if not self.can(action, agency, officer_id):
            where = f" for {agency}" if agency else ""
            raise Forbidden(f"{self.actor} may not {action.value}{where}",
                            action=action.value, agency=agency or "")


def sees_callers(by: Principal, agency: str | None) -> bool:
    """Whether `by` sees an incident's callers in full (name, phone, e-mail): an admin, or
    the incident's own operators and supervisors, the people who may dispatch it (the
    command room's, of every agency, and the agency's own). Everyone else (a mayor, another
    agency's operator, a kiosk screen, whoever stands before it) sees them masked
    (`Caller.masked`); public pages never show them."""
    if Role.ADMIN in by.roles:
        return True
    return by.kind != "kiosk" and by.can(Action.ASSIGN, agency)


SYSTEM = Principal(kind="system", name="liveroom", roles=frozenset({Role.SYSTEM}))
