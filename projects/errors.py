class ProjectError(Exception):
    """A refused change, with a message for the user in their language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
