"""The shared vocabulary of PACA integrations: ``Result[T]``, ``ErrorKind``, ``Secret``.

Every I/O call in a ``paca.*`` package returns a :class:`Result` instead of
raising for an outside failure; :class:`ErrorKind` says what went wrong in a
form code can branch on; :class:`Secret` keeps passwords and keys out of logs.

Exceptions:
    ResultError: raised by :meth:`Result.unwrap` on a failure.
"""

from paca.result._kind import ErrorKind
from paca.result._result import Result, ResultError
from paca.result._secret import MASK, Secret, redact, redact_url

__all__ = [
    # outcomes
    "ErrorKind",
    "Result",
    "ResultError",
    # secrets
    "MASK",
    "Secret",
    "redact",
    "redact_url",
]
