"""Admin page: render it; each form or row button calls one account service.

The services decide who may do what (admins only) and what input is valid; a
refusal comes back as the message next to the form and nothing else changes.
The work runs off the event loop (password hashing is slow on purpose).
"""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlsplit

from dash import Dash, Input, Output, State, no_update

from callbacks import admin_units
from callbacks.forms import clicked, off_loop, refused, row_action
from layouts import admin as layout
from layouts import admin_city as city_layout
from layouts import ids
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.commands import accounts, audit, configuration
from liveroom.commands.locations import unknown_devices
from liveroom.domain.errors import DomainError
from liveroom.i18n import translate
from liveroom.room import LiveRoom


def credentials_by_kind(room: LiveRoom, by: Principal) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in accounts.list_credentials(room, by=by):
        grouped[row["kind"]].append(row)
    return grouped


def render(room: LiveRoom, by: Principal, lang: str, _search: str = ""):
    users = accounts.list_users(room, by=by)  # Forbidden for anyone but an admin
    return layout.admin_layout(room.city, users, credentials_by_kind(room, by),
                               audit.recent(room, by=by, limit=layout.AUDIT_LIMIT), lang, by,
                               csrf_token(), extra=[city_layout.city_section(room.city, lang),
                                                    admin_units.render_section(room, by, lang)],
                               trackers=unknown_devices(room))


def origin_of(href: str | None) -> str:
    parts = urlsplit(href or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def issue(room: LiveRoom, kind: str, by: Principal, values: list):
    """Issue one credential of `kind` from its form's values."""
    if kind == "kiosk":
        name, role = values
        return accounts.create_kiosk_link(room, name or "", role=role or "mayor", by=by)
    if kind == "api_key":
        (name,) = values
        return accounts.create_api_key(room, name or "", by=by)
    if kind == "api_token":
        (username,) = values
        return accounts.create_api_token(room, username or "", by=by)
    name, agency, post, shift = values
    return accounts.add_device(room, name or "", agency=agency or "", post_id=post or None,
                               shift=shift or None, by=by)


def register(app: Dash, room: LiveRoom) -> None:
    user_fields = ids.USER_FIELDS

    @app.callback(
        Output(ids.USERS_TABLE, "children"), Output(ids.USERS_MESSAGE, "children"),
        Output(ids.API_TOKEN_USERNAME, "options"),
        *(Output(name, "value") for name in user_fields),
        Input(ids.USER_ADD, "n_clicks"),
        Input(ids.grid(ids.USERS_GRID), "cellRendererData"),
        *(State(name, "value") for name in user_fields),
        State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def change_users(_add, row_click, username, display_name, password, roles, agencies,
                           officer_id, lang):
        button, by = clicked(), current_principal()
        try:
            if button == ids.USER_ADD:
                username = (username or "").strip()
                await off_loop(accounts.add_user, room, username, password or "",
                               roles=roles or [], agencies=agencies or [],
                               officer_id=(officer_id or "").strip() or None,
                               display_name=(display_name or "").strip() or None, by=by)
                note, cleared = translate("admin.user.added", lang, username=username), [
                    "", "", "", [], [], ""]
            else:
                username, action = row_action(row_click, ("on", "off"))
                active = action == "on"
                await off_loop(accounts.update_user, room, username, active=active, by=by)
                note = translate("admin.user.enabled" if active else "admin.user.disabled",
                                 lang, username=username)
                cleared = [no_update] * len(user_fields)
            users = await off_loop(accounts.list_users, room, by=by)
        except DomainError as exc:
            return no_update, refused(exc, lang), no_update, *[no_update] * len(user_fields)
        return (layout.users_table(users, room.city, lang, layout.username_of(by)),
                layout.message(note, ok=True),
                layout.token_user_options(layout.active_usernames(users)), *cleared)

    for kind, fields in ids.CREDENTIAL_FIELDS.items():
        register_credential_form(app, room, kind, fields)
    register_city_forms(app, room)
    admin_units.register(app, room)

    @app.callback(Output(ids.DEVICE_POST, "options"), Output(ids.DEVICE_POST, "value"),
                  Input(ids.DEVICE_AGENCY, "value"), prevent_initial_call=True)
    def posts_of_agency(agency):
        return layout.post_options(room.city, agency), None

    @app.callback(
        Output(ids.AUDIT_TABLE, "children"),
        Input(ids.USERS_TABLE, "children"), Input(ids.UNITS_TABLE, "children"),
        *(Input(ids.credential_table(kind), "children") for kind in layout.KINDS),
        State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def refresh_audit(*args):
        """After any change went through, the trail shows it."""
        lang, by = args[-1], current_principal()
        try:
            entries = await off_loop(audit.recent, room, by=by, limit=layout.AUDIT_LIMIT)
        except DomainError:
            return no_update
        return layout.audit_table(entries, room.city.timezone, lang)


def register_credential_form(app: Dash, room: LiveRoom, kind: str, fields: tuple[str, ...]):
    """One callback per kind: its create button and its rows' revoke buttons."""
    name_field = fields[0]
    actions = ("rotate", "revoke") if kind == "device" else ("revoke",)  # (`credential_buttons`)

    @app.callback(
        Output(ids.credential_table(kind), "children"),
        Output(ids.credential_message(kind), "children"),
        Output(ids.credential_issued(kind), "children"), Output(name_field, "value"),
        Input(ids.credential_create(kind), "n_clicks"),
        Input(ids.grid(ids.credential_grid(kind)), "cellRendererData"),  # revoke, rotate
        *(State(name, "value") for name in fields),
        State(ids.ADMIN_LANG, "data"), State(ids.URL, "href"),
        prevent_initial_call=True,
    )
    async def change_credentials(_create, row_click, *values):
        *values, lang, href = values
        button, by = clicked(), current_principal()
        row, action = ((None, "create") if button == ids.credential_create(kind)
                       else row_action(row_click, actions))
        box, cleared = [], no_update
        try:
            if action == "create":
                issued = await off_loop(issue, room, kind, by, values)
                note = translate("admin.credential.issued", lang, name=issued.name, id=issued.id)
                box = layout.issued_box(kind, issued.id, issued.secret, lang, origin_of(href))
                cleared = None if kind == "api_token" else ""
            elif action == "rotate":
                issued = await off_loop(accounts.rotate_device, room, row, by=by)
                note = translate("admin.device.rotated", lang, id=row, new=issued.id)
                box = layout.issued_box(kind, issued.id, issued.secret, lang, origin_of(href))
            else:
                await off_loop(accounts.revoke_credential, room, row, by=by)
                note = translate("admin.credential.revoked", lang, id=row)
            rows = await off_loop(accounts.list_credentials, room, kind=kind, by=by)
        except DomainError as exc:
            return no_update, refused(exc, lang), [], no_update
        return (layout.credentials_table(kind, rows, room.city, lang),
                layout.message(note, ok=True), box, cleared)


def localized(id_text: str | None, en_text: str | None, current) -> dict | None:
    """A {id, en} name from two inputs; an empty input keeps the current text."""
    if not (id_text or "").strip() and not (en_text or "").strip():
        return None
    return {"id": (id_text or "").strip() or (current.id if current else ""),
            "en": (en_text or "").strip() or (current.en if current else "")}


def register_city_forms(app: Dash, room: LiveRoom) -> None:
    @app.callback(
        Output(ids.CATEGORIES_TABLE, "children"), Output(ids.CATEGORY_MESSAGE, "children"),
        Input(ids.CATEGORY_SAVE, "n_clicks"),
        *(State(name, "value") for name in ids.CATEGORY_FIELDS), State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def save_category(_save, code, name_id, name_en, agency, priority, ack, resolve,
                            ack_days, resolve_days, lang):
        clicked()
        code, by = (code or "").strip(), current_principal()
        current = room.city.categories.get(code)
        name = localized(name_id, name_en, current.name if current else None)
        try:
            await off_loop(configuration.save_category, room, code, by=by, name=name,
                           description=None if current or not name else name, agency=agency,
                           priority=priority, sla_acknowledge_minutes=ack,
                           sla_resolve_minutes=resolve, sla_acknowledge_working_days=ack_days,
                           sla_resolve_working_days=resolve_days)
        except DomainError as exc:
            return no_update, refused(exc, lang)
        return (city_layout.categories_table(room.city, lang),
                city_layout.saved(translate("admin.category.saved", lang, code=code)))

    @app.callback(
        Output(ids.AGENCIES_TABLE, "children"), Output(ids.AGENCY_MESSAGE, "children"),
        Input(ids.AGENCY_SAVE, "n_clicks"),
        *(State(name, "value") for name in ids.AGENCY_FIELDS), State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def save_agency(_save, key, name_id, name_en, colour, lang):
        clicked()
        by, current = current_principal(), room.city.agencies.get(key or "")
        name = localized(name_id, name_en, current.name if current else None)
        try:
            await off_loop(configuration.save_agency, room, key or "", by=by, name=name,
                           colour=(colour or "").strip() or None)
        except DomainError as exc:
            return no_update, refused(exc, lang)
        return (city_layout.agencies_table(room.city, lang),
                city_layout.saved(translate("admin.agency.saved", lang, agency=key)))
