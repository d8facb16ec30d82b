"""The admin page: users, credentials (kiosk links, API keys, API tokens, devices), audit.

Every function here is pure: data in, components out. Names people typed (users,
screens, apps) are shown as text, never as markup. Secrets appear only in the
one-time box built by `issued_box`, right after they are issued.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, tzinfo

from dash import dcc, html

from layouts import ids
from layouts.grid import Column, grid
from layouts.home import page_header
from liveroom.access import Principal
from liveroom.cities import City
from liveroom.i18n import translate

#: The roles a person may hold, in the order the form offers them.
USER_ROLES = ("admin", "mayor", "supervisor", "operator", "officer")
KIOSK_ROLES = ("operator", "mayor")
#: Credential kinds, in the order the page shows them.
KINDS = ("kiosk", "api_key", "api_token", "device")
AUDIT_LIMIT = 200


def wib(moment: datetime | None, tz: tzinfo, lang: str) -> str:
    if moment is None:
        return translate("admin.empty_cell", lang)
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def message(text: str, ok: bool) -> html.Div:
    """A success or refusal note shown next to a form."""
    return html.Div(text, className="admin-ok" if ok else "admin-error",
                    role="status" if ok else "alert")


# --- users -------------------------------------------------------------------------------

def agency_name(city: City, key: str, lang: str) -> str:
    agency = city.agencies.get(key)
    return agency.name.get(lang) if agency else key


def users_table(users: list[dict], city: City, lang: str, me: str | None = None) -> html.Div:
    """All accounts; `me` (the admin looking) gets no button to lock themselves out."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = []
    for user in users:
        active = bool(user["active"])
        toggle = [] if user["username"] == me else [{
            "action": "off" if active else "on", "danger": active,
            "label": t("admin.user.disable" if active else "admin.user.enable")}]
        rows.append({
            "username": user["username"], "display_name": user["display_name"],
            "roles": ", ".join(t(f"admin.role.{role}") for role in user["roles"]),
            "agencies": ", ".join(agency_name(city, key, lang) for key in user["agencies"])
            or t("admin.all_agencies"),
            "officer_id": user["officer_id"] or t("admin.empty_cell"),
            "active": t("admin.yes" if active else "admin.no"),
            "active__class": "state-active" if active else "state-revoked",
            "demo": t("admin.demo") if user["demo"] else "",
            "demo__class": "badge-demo" if user["demo"] else "", "inactive": not active,
            "manage": toggle})
    columns = [Column("username", t("admin.col.username")),
               Column("display_name", t("admin.col.name")),
               *(Column(c, t(f"admin.col.{c}")) for c in ("roles", "agencies", "officer_id")),
               *(Column(c, t(f"admin.col.{c}"), shown=True) for c in ("active", "demo")),
               Column("manage", t("admin.col.manage"), actions=True)]
    return grid(ids.USERS_GRID, columns, rows, lang, export_name="users-shown",
                row_id="username", dimmed="inactive")


def field(label: str, control, hint: str | None = None) -> html.Div:
    parts = [html.Label(label, htmlFor=control.id), control]
    if hint:
        parts.append(html.Div(hint, className="admin-hint"))
    return html.Div(parts, className="admin-field")


def user_form(city: City, lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    return html.Div([
        html.H3(t("admin.form.add_user")),
        html.Div([
            field(t("admin.form.username"),
                  dcc.Input(id=ids.USER_USERNAME, type="text", autoComplete="off", maxLength=64),
                  t("admin.form.username_hint")),
            field(t("admin.form.display_name"),
                  dcc.Input(id=ids.USER_DISPLAY_NAME, type="text", autoComplete="off",
                            maxLength=200)),
            field(t("admin.form.password"),
                  dcc.Input(id=ids.USER_PASSWORD, type="password", autoComplete="new-password"),
                  t("admin.form.password_hint")),
            field(t("admin.form.officer_id"),
                  dcc.Input(id=ids.USER_OFFICER_ID, type="text", autoComplete="off", maxLength=64),
                  t("admin.form.officer_id_hint")),
            field(t("admin.form.roles"), dcc.Checklist(
                id=ids.USER_ROLES, value=[], inline=True, className="admin-checks",
                options=[{"label": t(f"admin.role.{role}"), "value": role}
                         for role in USER_ROLES])),
            field(t("admin.form.agencies"), dcc.Checklist(
                id=ids.USER_AGENCIES, value=[], inline=True, className="admin-checks",
                options=[{"label": agency.name.get(lang), "value": key}
                         for key, agency in city.agencies.items()]),
                t("admin.form.agencies_hint")),
        ], className="admin-user-fields"),
        html.Div([
            html.Button(t("admin.form.submit_user"), id=ids.USER_ADD, className="admin-button"),
            html.Div(id=ids.USERS_MESSAGE, className="admin-message"),
        ], className="admin-actions"),
    ], className="admin-form admin-user-form")


def users_section(users: list[dict], city: City, lang: str, me: str | None) -> html.Section:
    return html.Section([
        html.H2(translate("admin.users", lang)),
        user_form(city, lang),
        html.Div(users_table(users, city, lang, me), id=ids.USERS_TABLE,
                 className="admin-scroll"),
    ], className="admin-section", id="users")


# --- credentials -------------------------------------------------------------------------

def credential_state(row: Mapping, tz: tzinfo, lang: str) -> tuple[str, str]:
    """(what to say of a credential's state, the class that colours it)."""
    if row["revoked_at"] is None and row.get("sends_officer_id"):
        return translate("admin.device.sends_officer_id", lang), "state-warn"
    if row["revoked_at"] is None:
        return translate("admin.state.active", lang), "state-active"
    return (translate("admin.state.revoked", lang, time=wib(row["revoked_at"], tz, lang)),
            "state-revoked")


def credential_extra(kind: str, row: Mapping, city: City, lang: str) -> str:
    """What tells credentials of one kind apart besides the name: a screen's role, an agency."""
    if kind == "kiosk":
        return translate(f"admin.role.{row['role']}", lang) if row["role"] else ""
    if kind == "device":
        return agency_name(city, row["agency"], lang) if row["agency"] else ""
    if kind == "api_token":
        return row["username"] or ""
    return ""


EXTRA_COLUMN = {"kiosk": "admin.col.role", "device": "admin.col.agency",
                "api_token": "admin.col.username"}


def credential_buttons(kind: str, lang: str) -> list[dict]:
    """Revoke; for a device, also a new secret (its tracker is then given the new one)."""
    buttons = [{"action": "revoke", "label": translate("admin.revoke", lang), "danger": True}]
    if kind == "device":
        buttons.insert(0, {"action": "rotate", "label": translate("admin.device.rotate", lang),
                           "danger": False})
    return buttons


def credentials_table(kind: str, rows: list[Mapping], city: City, lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    tz = city.timezone
    shown = []
    for row in rows:
        active = row["revoked_at"] is None
        state, state_class = credential_state(row, tz, lang)
        shown.append({
            "id": row["id"], "name": row["name"],
            "extra": credential_extra(kind, row, city, lang),
            "created": wib(row["created_at"], tz, lang), "created_by": row["created_by"],
            "state": state, "state__class": state_class, "inactive": not active,
            "manage": credential_buttons(kind, lang) if active else []})
    columns = [Column("id", t("admin.col.id")), Column("name", t("admin.col.name"))]
    if kind in EXTRA_COLUMN:
        columns.append(Column("extra", t(EXTRA_COLUMN[kind])))
    columns += [Column("created", t("admin.col.created")),
                Column("created_by", t("admin.col.created_by")),
                Column("state", t("admin.col.state"), shown=True),
                Column("manage", t("admin.col.manage"), actions=True)]
    return grid(ids.credential_grid(kind), columns, shown, lang, export_name=f"{kind}-shown",
                row_id="id", dimmed="inactive")


def issued_box(kind: str, credential_id: str, secret: str, lang: str,
               origin: str = "") -> html.Div:
    """The new secret, shown this once: for a kiosk link, the whole sign-in address."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    shown = f"{origin}/?kiosk={secret}" if kind == "kiosk" else secret
    secret_id = f"{kind}-secret"
    return html.Div([
        html.Div(t("admin.issued.title"), className="issued-title"),
        html.Div(t(f"admin.issued.{kind}", id=credential_id)),
        html.Div([
            html.Code(shown, id=secret_id, className="issued-secret"),
            dcc.Clipboard(target_id=secret_id, title=t("admin.issued.copy"),
                          className="issued-copy"),
        ], className="issued-row"),
        html.Div(t("admin.issued.warning"), className="admin-hint"),
    ], className="issued", role="alert")


def _choose(lang: str) -> str:
    return translate("admin.form.choose", lang)


def dropdown(component_id: str, options: list[dict], lang: str,
             multi: bool = False) -> dcc.Dropdown:
    """A dropdown (single-choice unless `multi`) whose own words (search, no match) are
    translated too."""
    names = ("search", "clear_search", "clear_selection", "no_options_found", *(
        ("select_all", "deselect_all", "selected_count") if multi else ()))
    labels = {name: translate(f"admin.dropdown.{name}", lang) for name in names}
    return dcc.Dropdown(id=component_id, options=options, placeholder=_choose(lang),
                        labels=labels, className="admin-dropdown", multi=multi)


def credential_form(kind: str, city: City, usernames: list[str], lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    names = ids.CREDENTIAL_FIELDS[kind]
    text = {"type": "text", "maxLength": 200, "autoComplete": "off"}
    if kind == "kiosk":
        fields = [
            field(t("admin.form.name"), dcc.Input(id=names[0], **text)),
            field(t("admin.form.screen"), dcc.RadioItems(
                id=names[1], value="mayor", inline=True, className="admin-checks",
                options=[{"label": t(f"admin.role.{r}"), "value": r} for r in KIOSK_ROLES])),
        ]
    elif kind == "api_key":
        fields = [field(t("admin.form.app_name"), dcc.Input(id=names[0], **text))]
    elif kind == "api_token":
        fields = [field(t("admin.form.token_user"), dropdown(
            names[0], token_user_options(usernames), lang))]
    else:
        fields = [
            field(t("admin.form.officer_name"), dcc.Input(id=names[0], **text)),
            field(t("admin.form.agency"), dropdown(
                names[1], [{"label": a.name.get(lang), "value": k}
                           for k, a in city.agencies.items()], lang)),
            field(t("admin.form.post"), dropdown(names[2], post_options(city, None), lang)),
            field(t("admin.form.shift"), dropdown(
                names[3], [{"label": f"{s.name.get(lang)} ({s.start:%H:%M}–{s.end:%H:%M})",
                            "value": k} for k, s in city.shifts.items()], lang)),
        ]
    return html.Div([
        *fields,
        html.Button(t(f"admin.{kind}.create"), id=ids.credential_create(kind),
                    className="admin-button"),
        html.Div(id=ids.credential_message(kind), className="admin-message"),
        html.Div(id=ids.credential_issued(kind)),
    ], className="admin-form")


def token_user_options(usernames: list[str]) -> list[dict]:
    return [{"label": name, "value": name} for name in usernames]


def post_options(city: City, agency: str | None) -> list[dict]:
    """The posts an officer of `agency` may belong to (all of them while none is chosen)."""
    return [{"label": post.name, "value": key} for key, post in city.posts.items()
            if agency is None or post.agency == agency]


def credential_section(kind: str, rows: list[Mapping], city: City, usernames: list[str],
                       lang: str, trackers: Mapping[str, int] | None = None) -> html.Section:
    """One kind of credential; for devices, also what came from ids no device has."""
    refused = [html.P(translate("admin.device.unknown", lang, **trackers), id="device-unknown",
                      className="admin-hint")] if kind == "device" and trackers else []
    return html.Section([
        html.H2(translate(f"admin.{kind}.title", lang)),
        html.P(translate(f"admin.{kind}.help", lang), className="admin-hint"),
        *refused,
        credential_form(kind, city, usernames, lang),
        html.Div(credentials_table(kind, rows, city, lang), id=ids.credential_table(kind),
                 className="admin-scroll"),
    ], className="admin-section", id=f"section-{kind}")


# --- audit -------------------------------------------------------------------------------

AUDIT_COLUMNS = ("time", "actor", "action", "target", "details")


def audit_table(entries: list[Mapping], tz: tzinfo, lang: str) -> html.Div | html.P:
    if not entries:
        return html.P(translate("admin.audit.empty", lang), className="admin-empty")
    columns = [Column(c, translate(f"admin.col.{c}", lang)) for c in AUDIT_COLUMNS]
    return grid("audit-grid", columns, [{
        "time": wib(entry["at"], tz, lang), "actor": entry["actor"], "action": entry["action"],
        "target": entry["target"], "details": entry["details"],
    } for entry in entries], lang, export_name="audit-shown")


def audit_section(entries: list[Mapping], city: City, lang: str) -> html.Section:
    return html.Section([
        html.Div([
            html.H2(translate("admin.audit.title", lang)),
            html.A(translate("admin.audit.export", lang), href="/admin/audit.csv",
                   id="audit-export", className="admin-button-link"),
        ], className="admin-section-head"),
        html.P(translate("admin.audit.help", lang, limit=AUDIT_LIMIT), className="admin-hint"),
        html.Div(audit_table(entries, city.timezone, lang), id=ids.AUDIT_TABLE,
                 className="admin-scroll"),
    ], className="admin-section", id="audit")


# --- the page ----------------------------------------------------------------------------

def username_of(principal: Principal) -> str | None:
    return principal.name if principal.kind == "user" else None


def active_usernames(users: list[dict]) -> list[str]:
    return [user["username"] for user in users if user["active"]]


def admin_layout(city: City, users: list[dict], credentials: Mapping[str, list[Mapping]],
                 audit: list[Mapping], lang: str, principal: Principal, csrf: str,
                 extra: Iterable = (), trackers: Mapping[str, int] | None = None) -> html.Div:
    """The whole page for one language; `credentials` maps each kind to its rows;
    `extra` sections follow the users; `trackers` counts fixes from unknown device ids."""
    usernames = active_usernames(users)
    return html.Div([
        page_header(translate("admin.title", lang),
                    translate("admin.subtitle", lang, city=city.name), principal, csrf, lang,
                    back=translate("admin.back", lang)),
        html.Main([
            users_section(users, city, lang, username_of(principal)),
            *extra,
            html.Div([credential_section(kind, credentials.get(kind, []), city, usernames, lang,
                                         trackers) for kind in KINDS], className="admin-grid"),
            audit_section(audit, city, lang),
        ], className="admin-main"),
        dcc.Store(id=ids.ADMIN_LANG, data=lang),
    ], lang=lang, className="admin")
