"""Which database to use: ``--database URL``, else ``KOD_DATABASE_URL``, else a per-user file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from app.platform.errors import ConfigError
from app.platform.i18n import tr

APP_NAME = "KOD-Leitstelle"
APP_AUTHOR = "KOD"
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

    @property
    def display(self) -> str:
        """The URL with any password hidden, fit for messages and logs."""
        return self.sync_url.set(drivername=self.kind).render_as_string(hide_password=True)

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded single-workstation database."""
        return self.kind == "sqlite"


def resolve_database(cli_value: str | None = None) -> DatabaseTarget:
    """Pick the database from the command line, the environment or the default, and check it."""
    raw = cli_value or os.environ.get(ENV_DATABASE_URL) or ""
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
                "postgresql://user:password@server:5432/leitstelle or sqlite:///C:/path/file.sqlite.",
                raw,
            )
        )
    raw = _multihost_to_query(raw)
    try:
        url = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        # The parser's own (English) text would only confuse: say what to check instead.
        raise ConfigError(
            tr(
                "config",
                "The database address '%1' is malformed. Check the port (a number) and the "
                "special characters: @, / and : inside the user name or password must be "
                "percent-encoded (@ as %40). Expected e.g. "
                "postgresql://user:password@server:5432/leitstelle.",
                _mask_password(raw),
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


def _mask_password(raw: str) -> str:
    """``raw`` with the password between ``user:`` and the last ``@`` replaced by ``***``."""
    scheme, sep, rest = raw.partition("://")
    userinfo, at, hosts = rest.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return raw
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{hosts}"


def _masked(url: URL) -> str:
    return url.render_as_string(hide_password=True)
