class ProjectError(Exception):
    """A refused change, with a message for the user in their language; ``field`` names
    the form field the refusal is about, if one is (to show it there)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
