"""What a demo step uses to check that what it shows really happened."""

from __future__ import annotations

__all__ = ["DemoError", "expect"]


class DemoError(Exception):
    """A demo step saw something other than what it shows."""


def expect(condition: object, what: str) -> None:
    """Raise :class:`DemoError` naming ``what`` unless ``condition`` holds."""
    if not condition:
        raise DemoError(what)
