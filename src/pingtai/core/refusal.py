"""The one exception for an action the rules do not allow.

Services raise it; the web views, the API and the CLI catch it and show ``message`` as it is
(Chinese, fit for the official who asked), with ``code`` for scripts and API clients. It is a
``ValueError`` because every refusal is a refusal of the input the caller gave.
"""

from __future__ import annotations


class Refused(ValueError):
    """A refused action: ``message`` is shown to the user unchanged; ``code`` is machine-readable;
    ``field`` names the form field the message belongs next to, when there is one."""

    def __init__(self, message: str, code: str = "refused", *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return self.message
