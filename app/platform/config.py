"""Which database to use: ``--database URL``, else ``KOD_DATABASE_URL``, else the machine-wide
setting written by the installer (:mod:`app.platform.machine_config`), else a per-user file."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.platform.appinfo import APP_AUTHOR, APP_NAME
from app.platform.errors import ConfigError
from app.platform.i18n import tr
from app.platform.machine_config import read_machine_config

ENV_DATABASE_URL = "KOD_DATABASE_URL"


def user_data_dir() -> Path:
    """Per-user data directory (never the install directory)."""
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def user_log_dir() -> Path:
    """Per-user log directory."""
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def default_sqlite_path() -> Path:
    """The default database: a SQLite file in the per-user data directory."""
    return user_data_dir() / "leitstelle.sqlite"


@dataclass(frozen=True)
class DatabaseTarget:
    """A validated database location with the driver URLs we use for it."""

    kind: str  # "sqlite" or "postgresql"
    sync_url: URL
    async_url: URL
    sqlite_path: Path | None = None

    def __repr__(self) -> str:
        return f"DatabaseTarget({self.display!r})"

    @property
    def display(self) -> str:
        """The URL with any password hidden, fit for messages and logs."""
        return _masked(self.sync_url.set(drivername=self.kind))

    @property
    def command_line_url(self) -> str:
        """The URL as ``--database`` takes it, password included: for the program's own
        child processes (and tests), never for messages."""
        return self.sync_url.set(drivername=self.kind).render_as_string(hide_password=False)

    @property
    def username(self) -> str | None:
        """The login named in the URL (PostgreSQL), if any."""
        return None if self.is_sqlite else self.sync_url.username

    def with_login(self, username: str | None, password: str | None) -> DatabaseTarget:
        """The same server with a person's login (PostgreSQL; SQLite is returned unchanged).

        An empty password leaves it to libpq (password file, ``PGPASSWORD``, Kerberos).
        """
        if self.is_sqlite:
            return self
        url = self.sync_url.set(username=username or self.sync_url.username, password=None)
        query = {k: v for k, v in url.query.items() if k.lower() not in _SECRET_PARAMS}
        url = url.set(query=query)
        if password:
            url = url.set(password=password)
        return replace(self, sync_url=url, async_url=url)

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded single-workstation database."""
        return self.kind == "sqlite"


def resolve_database(cli_value: str | None = None) -> DatabaseTarget:
    """Pick the database from the command line, the environment, the machine-wide setting or
    the per-user default, and check it."""
    raw = cli_value or os.environ.get(ENV_DATABASE_URL) or read_machine_config().database_url
    if not raw.strip():
        return sqlite_target(default_sqlite_path())
    return parse_database_url(raw.strip())


def sqlite_target(path: Path) -> DatabaseTarget:
    """A target for the SQLite file at ``path``."""
    path = path.expanduser().absolute()
    return DatabaseTarget(
        kind="sqlite",
        sync_url=URL.create("sqlite", database=str(path)),
        async_url=URL.create("sqlite+aiosqlite", database=str(path)),
        sqlite_path=path,
    )


def parse_database_url(raw: str) -> DatabaseTarget:
    """Parse a user-supplied database URL (or a plain path to a SQLite file)."""
    if "://" not in raw:
        if raw.lower().endswith((".sqlite", ".sqlite3", ".db")):
            return sqlite_target(Path(raw))
        raise ConfigError(
            tr(
                "config",
                "The database address '%1' is not valid. Expected e.g. "
                "postgresql://user@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.",
                mask_url_text(raw),
            )
        )
    raw = _multihost_to_query(raw)
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        raise ConfigError(
            tr(
                "config",
                "The database address '%1' is malformed. Expected e.g. "
                "postgresql://user@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.",
                mask_url_text(raw),
            )
        ) from exc
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise ConfigError(
                tr(
                    "config",
                    "A SQLite database needs a file path, e.g. sqlite:///leitstelle.sqlite.",
                )
            )
        return sqlite_target(Path(url.database))
    if backend in ("postgresql", "postgres"):
        if not url.host and not url.query.get("host"):
            raise ConfigError(
                tr("config", "The PostgreSQL address '%1' names no server.", _masked(url))
            )
        if not url.database:
            raise ConfigError(
                tr("config", "The PostgreSQL address '%1' names no database.", _masked(url))
            )
        if url.port is not None and not (0 < url.port < 65536):
            raise ConfigError(tr("config", "The port %1 is not valid.", url.port))
        for port in _query_ports(url):
            if not (port.isdigit() and 0 < int(port) < 65536):
                raise ConfigError(tr("config", "The port %1 is not valid.", port))
        base = url.set(drivername="postgresql+psycopg")
        return DatabaseTarget(kind="postgresql", sync_url=base, async_url=base)
    raise ConfigError(
        tr(
            "config",
            "The database type '%1' is not supported. Use PostgreSQL or SQLite.",
            backend,
        )
    )


def _multihost_to_query(raw: str) -> str:
    """libpq's multi-host form in the form SQLAlchemy understands.

    ``postgresql://u:p@db1:5432,db2:5432/leitstelle?target_session_attrs=read-write`` (what
    PostgreSQL's documentation shows, for a primary with standbys) becomes
    ``postgresql://u:p@/leitstelle?host=db1:5432&host=db2:5432&target_session_attrs=...``.
    """
    scheme, sep, rest = raw.partition("://")
    if not sep or not scheme.lower().startswith("postgres"):
        return raw
    netloc, _slash, tail = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    if "," not in hosts or ":" not in hosts:
        return raw  # no ports: "db1,db2" is understood as it is
    params = "&".join(f"host={h.strip()}" for h in hosts.split(",") if h.strip())
    database, _q, query = tail.partition("?")
    query = f"{params}&{query}" if query else params
    return f"{scheme}://{userinfo}{at}/{database}?{query}"


def _query_ports(url: URL) -> list[str]:
    """Ports given in ``host=name:port`` or ``port=p1,p2`` query parameters."""
    ports: list[str] = []
    hosts = url.query.get("host", ())
    for entry in (hosts,) if isinstance(hosts, str) else hosts:
        for item in entry.split(","):
            if ":" in item:
                ports.append(item.rsplit(":", 1)[1])
    port_param = url.query.get("port", ())
    for entry in (port_param,) if isinstance(port_param, str) else port_param:
        ports.extend(p for p in entry.split(",") if p)
    return ports


#: Connection parameters that hold secrets; never shown, and not taken from the URL at login.
_SECRET_PARAMS = frozenset({"password", "passwd", "sslpassword"})
_SECRET_IN_TEXT = re.compile(r"(?i)\b(password|passwd|sslpassword)=[^&\s]*")
_USERINFO_IN_TEXT = re.compile(r"(://[^:/@\s]*):[^@/\s]*@")


def mask_url_text(raw: str) -> str:
    """Any text that may contain a database URL, with passwords replaced by ``***``.

    Works on malformed URLs too (where the URL parser cannot be used).
    """
    return _USERINFO_IN_TEXT.sub(r"\1:***@", _SECRET_IN_TEXT.sub(r"\1=***", raw))


def _masked(url: URL) -> str:
    return mask_url_text(url.render_as_string(hide_password=True))
