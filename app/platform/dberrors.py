"""What a database error means for the user: one honest, German classification.

A lost connection is "cannot be reached" (and the outbox keeps working); a refused login is a
login error; a right the server withholds is a permission error; a value the server cannot
store is a validation error; anything else the database refused is said as such, never as
"cannot be reached".
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from app.platform.config import DatabaseTarget
from app.platform.errors import (
    AuthenticationError,
    DatabaseRefused,
    DatabaseUnavailable,
    KodError,
    PermissionDenied,
    ValidationError,
)
from app.platform.i18n import tr

#: SQLSTATE classes of PostgreSQL that mean the link or the server is gone or overloaded.
_PG_CONNECTION_CLASSES = ("08", "53", "57", "58", "XX")
#: SQLite messages that mean the file cannot be used right now (not a bad statement).
_SQLITE_UNAVAILABLE = (
    "unable to open database file",
    "database is locked",
    "disk i/o error",
    "file is not a database",
    "database disk image is malformed",
    "readonly database",
    "database or disk is full",
)
_LOGIN_REFUSED = (
    "password authentication failed",
    "authentication failed",
    "no password supplied",
    "fe_sendauth",
)


def _first_line(exc: BaseException) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return detail[0] if detail else type(exc).__name__


def sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of ``exc`` (None for SQLite and for connection failures)."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    return state if isinstance(state, str) else None


def is_login_refused(exc: BaseException) -> bool:
    """True if the server refused the credentials (or the login is disabled)."""
    low = _first_line(exc).lower()
    state = sqlstate(exc) or ""
    return (
        state.startswith("28")
        or any(m in low for m in _LOGIN_REFUSED)
        or ("role" in low and "does not exist" in low)
        or "not permitted to log in" in low
    )


def describe_db_error(target: DatabaseTarget, exc: BaseException) -> str:
    """A German explanation of why the database could not be used."""
    first = _first_line(exc)
    low = first.lower()
    if "not permitted to log in" in low:
        return tr(
            "database",
            "The login is disabled on %1. Please contact the administration.",
            target.display,
        )
    if is_login_refused(exc):
        return tr(
            "database",
            "The PostgreSQL server %1 refused the login: user name or password is wrong.",
            target.display,
        )
    if "no pg_hba.conf entry" in low:
        return tr(
            "database",
            "The PostgreSQL server %1 does not accept this login from this workstation "
            "(pg_hba.conf). Please contact the administration.",
            target.display,
        )
    if "does not exist" in low and "database" in low:
        return tr("database", "The database on %1 does not exist.", target.display)
    if "file is not a database" in low or "malformed" in low:
        return tr("database", "The file %1 is not a SQLite database or is damaged.", target.display)
    if "unable to open database file" in low:
        return tr("database", "The database file %1 cannot be opened.", target.display)
    if "database is locked" in low:
        return tr(
            "database", "The database %1 is busy (locked by another program).", target.display
        )
    return tr("database", "The database %1 cannot be reached: %2", target.display, first)


def is_connection_error(exc: BaseException) -> bool:
    """True if ``exc`` means the database cannot be reached right now (not a bad statement)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, IntegrityError):
        return False
    state = sqlstate(exc)
    if state is not None:
        return state[:2] in _PG_CONNECTION_CLASSES
    if not isinstance(exc, OperationalError):
        return False
    low = _first_line(exc).lower()
    if "sqlite" in type(getattr(exc, "orig", None)).__module__:
        return any(m in low for m in _SQLITE_UNAVAILABLE)
    return True  # psycopg: an OperationalError without SQLSTATE is a failed or lost connection


def classify(target: DatabaseTarget, exc: BaseException) -> KodError | None:
    """The user-facing error for a database exception, or None to let it through unchanged.

    Integrity errors pass through: the services turn them into their own messages (a unit
    assigned twice, a number taken).
    """
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError):
        return None
    if is_connection_error(exc):
        if is_login_refused(exc):
            return AuthenticationError(describe_db_error(target, exc))
        return DatabaseUnavailable(describe_db_error(target, exc))
    state = sqlstate(exc) or ""
    if state == "42501":
        return PermissionDenied.by_server(_first_line(exc))
    if state.startswith("22"):
        return ValidationError(
            tr(
                "errors",
                "A value is too long or not valid and was not stored. Please check the input.",
            )
        )
    if state == "55P03":
        return DatabaseUnavailable(
            tr(
                "database",
                "The database %1 is busy: another session holds a lock. Please try again.",
                target.display,
            )
        )
    return DatabaseRefused(tr("database", "The database refused the request: %1", _first_line(exc)))
