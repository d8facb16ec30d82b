"""Domain errors: a refused command raises one of these and appends nothing."""


class DomainError(ValueError):
    """A command was refused; `code` is stable for APIs, the message is for people."""

    code = "refused"


class NotFound(DomainError):
    code = "not_found"


class InvalidCommand(DomainError):
    code = "invalid"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class ConcurrencyConflict(DomainError):
    """Someone else changed the aggregate first; the command may be retried."""

    code = "conflict"
