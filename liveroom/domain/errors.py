"""Domain errors: a refused command raises one of these and appends nothing."""


class DomainError(ValueError):
    """A command was refused; `code` is stable for APIs, the message is for people;
    `params` are the message's values, for pages that say it in their own language."""

    code = "refused"

    def __init__(self, message: str = "", *, rule: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.params = params
        if rule:
            self.code = rule  # a more precise code than the class's, for pages to say it


class NotFound(DomainError):
    code = "not_found"


class InvalidCommand(DomainError):
    code = "invalid"


class IllegalTransition(DomainError):
    code = "illegal_transition"


class ConcurrencyConflict(DomainError):
    """Someone else changed the aggregate first; the command may be retried."""

    code = "conflict"


class TryAgain(DomainError):
    """Not done now for a passing reason: the very same command sent again later may be."""

    code = "try_again"


class NotReplicated(TryAgain):
    """Appended on the Redis primary, but no replica confirmed it in time
    (`LIVEROOM_REDIS_MIN_REPLICAS`): not acknowledged, as a failover now could lose it."""

    code = "not_replicated"


class ArchiveUnavailable(TryAgain):
    """The archive database cannot be reached (down, restarting, unreachable): what reads
    it answers 503; the live room, on Redis, carries on. Raised by the engine itself
    (`connections.connect_database`), whatever the query."""

    code = "archive_unavailable"


class LiveUnavailable(TryAgain):
    """Redis cannot be reached (a failover under way, the server down): nothing was
    written, 503; redis-py finds the new primary by itself and the next try goes there."""

    code = "live_unavailable"

    def __init__(self, message: str = "the live store cannot be reached; try again") -> None:
        super().__init__(message)


class AttendanceRefused(InvalidCommand):
    """A check-in or check-out the rules refuse; `code` says which rule."""

    def __init__(self, code: str, message: str, **params: object) -> None:
        super().__init__(message, rule=code, **params)
