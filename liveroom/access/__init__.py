"""Access control: roles, the permission table, credentials, sessions, and the audit trail."""

from liveroom.access.roles import (
    PERMISSIONS,
    SYSTEM,
    Action,
    Forbidden,
    Principal,
    Role,
    sees_callers,
)

__all__ = ["PERMISSIONS", "SYSTEM", "Action", "Forbidden", "Principal", "Role", "sees_callers"]
