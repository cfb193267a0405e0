"""Shared set-up for the benchmarks: temporary databases they create and remove themselves."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.platform.config import DatabaseTarget, parse_database_url, sqlite_target
from app.platform.database import Database
from db.migrate import upgrade

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

PG_URL = os.environ.get("KOD_TEST_PG_URL", "postgresql://kod:kod@127.0.0.1:5432/kod_test")


@contextmanager
def temp_sqlite() -> Iterator[DatabaseTarget]:
    """A migrated SQLite file in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="kod-bench-") as folder:
        target = sqlite_target(Path(folder) / "bench.sqlite")
        engine = Database(target).sync_engine()
        upgrade(engine)
        engine.dispose()
        yield target


@contextmanager
def temp_postgres() -> Iterator[DatabaseTarget]:
    """A migrated PostgreSQL database created for the benchmark and dropped afterwards."""
    name = f"kod_bench_{uuid.uuid4().hex[:8]}"
    base = make_url(PG_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        target = parse_database_url(base.set(database=name).render_as_string(hide_password=False))
        engine = create_engine(target.sync_url)
        upgrade(engine)
        engine.dispose()
        yield target
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def qt_application() -> QApplication:
    """The QApplication as the workstation has it: garbage collected on the GUI thread only.

    Without that, a collection started in a database thread can destroy a Qt object (a
    timer) there and the process crashes ("Timers cannot be stopped from another thread").
    """
    from PySide6.QtWidgets import QApplication

    from ui import gcguard

    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    gcguard.install(app)
    return app
