"""Every component id that a callback listens to, reads or writes, named once.

Layouts render them and callbacks wire them from these names, so a misspelt id is a
NameError at import, not a callback that never fires. Pattern ids are functions, called
with a row's key in a layout and with `ALL` in a callback. The values are also the CSS
and test selectors (`#map`, `#queue`): renaming one is a change of the page's contract.
`tests/test_callback_ids.py` checks every callback's ids against the rendered pages.
"""

from __future__ import annotations

# the shell and its router
URL = "url"
PAGE = "page"

# the wall screen
MAP = "map"
INCIDENTS_LAYER = "incidents-layer"
OFFICERS_LAYER = "officers-layer"
TRACK = "track"
PAGE_LANG = "page-lang"
PAGE_FILTER = "page-filter"
LIVE_VERSION = "live-version"
MAP_CHANGES = "map-changes"
LIVE_BEAT = "live-beat"
LIVE_FIGURES = "live-figures"
LIVE_STATE = "live-state"
SELECTED_INCIDENT = "selected-incident"
SELECTED_OFFICER = "selected-officer"
INCIDENT_DETAIL = "incident-detail"
HEADLINE = "headline"
AGENCY_STRIP = "agency-strip"
STATUS_STRIP = "status-strip"
STRANDED = "stranded"
QUEUE = "queue"
FEED = "feed"
#: the elements the pushed figures fill, in the order they are pushed
PUSHED_FIGURES = (HEADLINE, AGENCY_STRIP, STATUS_STRIP, STRANDED, QUEUE, FEED)
#: the incident clicked in the queue or the stranded list: {"id": …, "at": ms}
QUEUE_CHOICE = "queue-choice"

# the incident panel and the officer panel
DETAIL_CLOSE = "detail-close"
DETAIL_STATUS = "detail-status"
ASSIGN_MESSAGE = "assign-message"
ACTION_INCIDENT = "action-incident"
ACTION_TEXT = "action-text"
ACTION_CATEGORY = "action-category"
ACTION_DUPLICATE_OF = "action-duplicate-of"
ACTION_NOTE = "action-note"
ACTION_ESCALATE = "action-escalate"
ACTION_REJECT = "action-reject"
ACTION_REROUTE = "action-reroute"
ACTION_DUPLICATE = "action-duplicate"
GIVE_REASON = "give-reason"
GIVE_CONFIRM = "give-confirm"
GIVE_MESSAGE = "give-message"
#: the incident's tasks (`layouts/runcard.py`), drawn again when a push touches the incident
TASKS = "tasks"
TASK_MESSAGE = "task-message"
PANEL_STALE = "panel-stale"  # set in the browser when a pushed change touches the open one
RELEASE_FORM = "release-form"
RELEASE_WHO = "release-who"
RELEASE_TASK = "release-task"
RELEASE_REASON = "release-reason"
RELEASE_CONFIRM = "release-confirm"
#: its run card: a checklist per line, others added, one click sends them
RUNCARD = "runcard"
RUNCARD_STATE = "runcard-state"  # {"incident": …, "alarm": n}
RUNCARD_ADD = "runcard-add"
RUNCARD_ADDED = "runcard-added"
RUNCARD_SEND = "runcard-send"
RUNCARD_NEXT = "runcard-next"
RUNCARD_MESSAGE = "runcard-message"
FORWARD = "forward"
FORWARD_REFERENCE = "forward-reference"

# the unit board (`layouts/units.py`)
UNIT_BOARD = "unit-board"  # the tiles, pushed whole as HTML
UNITS_LANG = "units-lang"

# the call-taker's desk: a report entered for a caller (`layouts/desk.py`)
DESK = "desk"
DESK_OPEN = "desk-open"  # the button (and F2, `assets/desk.js`)
DESK_CLOSE = "desk-close"
DESK_PIN = "desk-pin"  # the point clicked on the map, drawn there
#: the form's fields, in the order `callbacks.desk` takes them
DESK_FIELDS = ("desk-channel", "desk-category", "desk-description", "desk-point",
               "desk-district", "desk-address", "desk-caller-name", "desk-caller-phone",
               "desk-priority", "desk-priority-reason")
(DESK_CHANNEL, DESK_CATEGORY, DESK_DESCRIPTION, DESK_POINT, DESK_DISTRICT, DESK_ADDRESS,
 DESK_CALLER_NAME, DESK_CALLER_PHONE, DESK_PRIORITY, DESK_PRIORITY_REASON) = DESK_FIELDS
DESK_QUESTIONS = "desk-questions"
DESK_WHERE = "desk-where"  # where the report will be placed, as understood
DESK_SIMILAR = "desk-similar"
DESK_SAVE = "desk-save"
DESK_SAVE_ASSIGN = "desk-save-assign"
DESK_MESSAGE = "desk-message"


def desk_answer(code) -> dict:
    """The field answering the chosen category's question `code`."""
    return {"type": "desk-answer", "question": code}


def desk_add_to(incident_id) -> dict:
    """The button adding the caller to a similar open incident instead."""
    return {"type": "desk-add-to", "incident": incident_id}


def choose_officer(officer_id) -> dict:
    """An officer offered for the open incident (a click opens the officer)."""
    return {"type": "choose-officer", "officer": officer_id}


def assign(officer_id, incident_id) -> dict:
    """The button that gives `incident_id` to `officer_id`."""
    return {"type": "assign", "officer": officer_id, "incident": incident_id}


def release(task_id, who) -> dict:
    """A running task's "Tarik" button (it asks a reason); `who`: as the row names them."""
    return {"type": "release", "task": task_id, "who": who}


def runcard_line(agency) -> dict:
    """One agency's line of the run card: a checklist of whom to send."""
    return {"type": "runcard-line", "agency": agency}


def forward(body) -> dict:
    """The button forwarding the open incident to an outside body (PLN, PDAM, Telkom)."""
    return {"type": "forward", "body": body}


# the admin page
ADMIN_LANG = "admin-lang"
USERS_TABLE = "users-table"
USERS_GRID = "users-grid"  # (a grid: its buttons' clicks are `ids.grid(USERS_GRID)`'s)
USERS_MESSAGE = "users-message"
USER_ADD = "user-add"
#: the new-user form's fields, in the order the callback takes them
USER_FIELDS = ("user-username", "user-display-name", "user-password", "user-roles",
               "user-agencies", "user-officer-id")
(USER_USERNAME, USER_DISPLAY_NAME, USER_PASSWORD, USER_ROLES, USER_AGENCIES,
 USER_OFFICER_ID) = USER_FIELDS
AUDIT_TABLE = "audit-table"
#: each credential form's fields, in the order `callbacks.admin.issue` takes them
CREDENTIAL_FIELDS = {"kiosk": ("kiosk-name", "kiosk-role"), "api_key": ("api_key-name",),
                     "api_token": ("api_token-username",),
                     "device": ("device-name", "device-agency", "device-post",
                                "device-shift")}
API_TOKEN_USERNAME = CREDENTIAL_FIELDS["api_token"][0]
DEVICE_AGENCY, DEVICE_POST = CREDENTIAL_FIELDS["device"][1:3]
#: the category form's fields, in the order its callback takes them (likewise the agency's)
CATEGORY_FIELDS = ("category-code", "category-name-id", "category-name-en",
                   "category-agency", "category-priority", "category-ack", "category-resolve",
                   "category-ack-days", "category-resolve-days")
(CATEGORY_CODE, CATEGORY_NAME_ID, CATEGORY_NAME_EN, CATEGORY_AGENCY, CATEGORY_PRIORITY,
 CATEGORY_ACK, CATEGORY_RESOLVE, CATEGORY_ACK_DAYS, CATEGORY_RESOLVE_DAYS) = CATEGORY_FIELDS
CATEGORY_SAVE = "category-save"
CATEGORY_MESSAGE = "category-message"
CATEGORIES_TABLE = "categories-table"
AGENCY_FIELDS = ("agency-key", "agency-name-id", "agency-name-en", "agency-colour")
AGENCY_KEY, AGENCY_NAME_ID, AGENCY_NAME_EN, AGENCY_COLOUR = AGENCY_FIELDS
AGENCY_SAVE = "agency-save"
AGENCY_MESSAGE = "agency-message"
AGENCIES_TABLE = "agencies-table"

#: the unit form's fields, in the order its callbacks take them (`layouts/admin_units.py`)
UNIT_FIELDS = ("unit-agency", "unit-id", "unit-call-sign", "unit-post", "unit-kind",
               "unit-crew", "unit-tracker")
UNIT_AGENCY, UNIT_ID, UNIT_CALL_SIGN, UNIT_POST, UNIT_KIND, UNIT_CREW, UNIT_TRACKER = UNIT_FIELDS
UNIT_ADD = "unit-add"
UNIT_SAVE = "unit-save"
UNIT_MESSAGE = "unit-message"
UNITS_TABLE = "units-table"
UNITS_GRID = "units-grid"  # (its row buttons: edit, off, on)


def credential_table(kind: str) -> str:
    return f"{kind}-table"


def credential_grid(kind: str) -> str:
    """The grid of one kind's credentials (its buttons: revoke, rotate)."""
    return f"{kind}-grid"


def credential_create(kind: str) -> str:
    return f"{kind}-create"


def credential_message(kind: str) -> str:
    return f"{kind}-message"


def credential_issued(kind: str) -> str:
    """Where a new credential's secret is shown, once."""
    return f"{kind}-issued"


# the attendance page
ATTENDANCE_LANG = "attendance-lang"
ATTENDANCE_FROM = "attendance-from"
ATTENDANCE_TO = "attendance-to"
ATTENDANCE_AGENCY = "attendance-agency"
ATTENDANCE_BODY = "attendance-body"
ATTENDANCE_DOWNLOADS = "attendance-downloads"

# the KPI page
KPI_LANG = "kpi-lang"
KPI_PERIOD = "kpi-period"
KPI_FROM = "kpi-from"
KPI_TO = "kpi-to"
KPI_FILTERS = ("agency", "district", "category")  # dropdowns, each `kpi_filter(name)`
KPI_DIMENSION = "kpi-dimension"
KPI_BODY = "kpi-body"
KPI_PROBLEM = "kpi-problem"  # why the figures could not be worked out


def kpi_filter(name: str) -> str:
    return f"kpi-{name}"


# the grids (`layouts/grid.py`): one CSV callback for all of them
def grid(name) -> dict:
    return {"type": "grid", "name": name}


def grid_csv(name) -> dict:
    """A grid's button that downloads its rows as shown."""
    return {"type": "grid-csv", "name": name}
