"""`backup DIR` and `restore DIR` (`deployment`): one deployment's consistent snapshot of
its archive (`archive`), Redis namespace (`namespace`) and photos, and back."""


class BackupError(Exception):
    """A backup or restore that cannot go on; `code` 2 for a refusal, 1 for a failure."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
