"""Errors the services raise. Each carries a translated message fit to show a user."""

from __future__ import annotations

from typing import Any

from app.platform.i18n import tr


class KodError(Exception):
    """Base of all expected errors; ``str(err)`` is the user-facing (German) message."""

    #: Process exit code for the command-line tools.
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(KodError):
    """A wrong setting, e.g. a malformed database URL."""

    exit_code = 2


class DatabaseUnavailable(KodError):
    """The database cannot be reached or opened right now."""

    exit_code = 3


class DatabaseClosed(KodError):
    """The session's database was closed (logged out, program ending): nothing more is read.

    A late task of a closed window meets this instead of taking a connection from a pool that
    is being disposed; it is dropped quietly (see ``ui.asyncutil.spawn``).
    """

    exit_code = 3


class DatabaseRefused(KodError):
    """The database refused a request for another reason than a lost connection."""

    exit_code = 11


class SchemaMismatch(KodError):
    """The database schema is older or newer than this program."""

    exit_code = 4


class AuthenticationError(KodError):
    """Login failed (wrong credentials, locked or disabled account)."""

    exit_code = 5


class PermissionDenied(KodError):
    """The acting user's role does not allow the action."""

    exit_code = 6

    def __init__(self, action: str, role: str, permission: str | None = None) -> None:
        super().__init__(
            tr("errors", "Your role (%1) is not allowed to do this: %2.", role, action)
        )
        self.action = action
        self.role = role
        #: The permission of the matrix that was missing (None: refused by the server).
        self.permission = permission
        #: True once the refused attempt has been written to the audit log.
        self.audited = False

    @classmethod
    def by_server(cls, detail: str) -> PermissionDenied:
        """The database server refused the action to this login (``detail``: its reason)."""
        exc = cls(detail, "")
        exc.message = tr(
            "errors",
            "The database server refused this action: your login lacks the right to do it (%1).",
            detail,
        )
        exc.args = (exc.message,)
        return exc


class NotFound(KodError):
    """The requested record does not exist (any more)."""

    exit_code = 7


class ValidationError(KodError):
    """Input that breaks a rule; the message says which field and why."""

    exit_code = 8

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConflictError(KodError):
    """Someone else changed the record since it was read: nothing was overwritten."""

    exit_code = 9

    def __init__(
        self,
        entity: str,
        entity_id: int,
        expected_version: int,
        current: Any = None,
        changed_fields: tuple[str, ...] = (),
    ) -> None:
        super().__init__(
            tr(
                "errors",
                "This record was changed by someone else in the meantime (version %1, "
                "you edited version %2). Nothing was overwritten.",
                getattr(current, "version", "?"),
                expected_version,
            )
        )
        self.entity = entity
        self.entity_id = entity_id
        self.expected_version = expected_version
        self.current = current
        self.changed_fields = changed_fields
