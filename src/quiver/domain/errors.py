"""The error every domain rule raises: a one-line reason meant for the user."""


class DomainError(ValueError):
    """A rule was broken; ``str(err)`` is a sentence a user can act on."""
