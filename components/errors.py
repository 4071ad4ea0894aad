"""The error the components raise when a stack cannot be built as configured."""

from __future__ import annotations

__all__ = ["StackError"]


class StackError(ValueError):
    """The spec passed the config check but this stack cannot be built as configured.

    Raised by the components and the stack's setting checks; the message starts with the key (or
    Pulumi config name) at fault and says the remedy. The program (`__main__.py`) turns it into a
    clean error without a traceback; any other exception is a bug and keeps its traceback. A
    ValueError, so callers that only know "bad value" still catch it.
    """
