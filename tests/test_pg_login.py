"""Logging in on PostgreSQL: the server authenticates each person (SCRAM or the directory).

Runs against its own throw-away PostgreSQL cluster (pg_hba.conf: SCRAM passwords, members of
kod_directory against a throw-away OpenLDAP server), because the machine's PostgreSQL trusts
local connections.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest

from app.platform.config import DatabaseTarget, parse_database_url
from app.platform.errors import AuthenticationError, DatabaseUnavailable, PermissionDenied
from app.platform.permissions import Role
from app.services.login import Session, log_in
from tests.pgcluster import Cluster, Directory, ldap_server, postgres_cluster

DIRECTORY_PEOPLE = {"bernd": "Verzeichnis-1", "clara": "Verzeichnis-2"}


@dataclass(frozen=True)
class Servers:
    cluster: Cluster
    directory: Directory

    @property
    def target(self) -> DatabaseTarget:
        """The database as a workstation knows it: no user, no password in the URL."""
        return parse_database_url(f"postgresql://127.0.0.1:{self.cluster.port}/leitstelle")


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with ldap_server(DIRECTORY_PEOPLE) as directory:
        hba = [directory.hba_line(), "host all all 127.0.0.1/32 scram-sha-256"]
        with postgres_cluster(hba) as cluster:
            yield Servers(cluster, directory)


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _owner(servers: Servers) -> Session:
    return await log_in(
        servers.target, "kod_owner", "owner-secret-1", workstation="ws-test", allow_owner=True
    )


async def _setup_people(servers: Servers) -> None:
    owner = await _owner(servers)
    try:
        users = owner.services.users
        await users.add(owner.actor, "anna.admin", "Anna Admin", Role.ADMIN, "admin-pass-1")
        await users.add(owner.actor, "dora", "Dora Disponentin", Role.DISPATCHER, "richtig-123")
        await users.add(owner.actor, "bernd", "Bernd Berg", Role.CLERK, None, directory=True)
    finally:
        await owner.close()


@pytest.fixture(scope="module")
def people(servers: Servers) -> Servers:
    run(_setup_people(servers))
    return servers


def test_passwords_are_checked_by_the_server_and_stored_as_scram(people: Servers) -> None:
    async def scenario() -> None:
        session = await log_in(people.target, "Dora", "richtig-123", workstation="ws-test")
        try:
            assert session.actor.username == "dora" and session.actor.role == Role.DISPATCHER
            assert session.actor.display_name == "Dora Disponentin"
        finally:
            await session.close()
        with pytest.raises(AuthenticationError, match="falsch"):
            await log_in(people.target, "dora", "falsch-123")
        # An unknown name gets the same answer (nothing to learn about who exists).
        with pytest.raises(AuthenticationError, match="falsch"):
            await log_in(people.target, "niemand", "egal-12345")
        # The database owner is for setting up, not for working at the workstation.
        with pytest.raises(AuthenticationError, match="Einrichtung"):
            await log_in(people.target, "kod_owner", "owner-secret-1")

    run(scenario())
    stored = people.cluster.superuser_sql(
        "SELECT rolpassword FROM pg_authid WHERE rolname = 'dora'"
    )
    assert stored.startswith("SCRAM-SHA-256$") and "richtig" not in stored
    table = people.cluster.superuser_sql(
        "SELECT password_hash FROM user_account WHERE username = 'dora'"
    )
    assert table == ""  # nothing of the password in the application's tables


def test_disabling_ends_the_open_session_and_refuses_the_next_login(people: Servers) -> None:
    async def scenario() -> None:
        owner = await _owner(people)
        admin = await log_in(people.target, "anna.admin", "admin-pass-1")
        await owner.services.users.add(
            owner.actor, "emil", "Emil E", Role.DISPATCHER, "emil-pass-1"
        )
        emil = await log_in(people.target, "emil", "emil-pass-1")
        from app.domain.dto import IncidentQuery

        assert await emil.services.incidents.count(emil.actor, IncidentQuery()) == 0
        info = await admin.services.users.set_active(admin.actor, "emil", False)
        assert info.sessions_ended is not None and info.sessions_ended >= 1
        # The open session cannot go on: its connection was ended and it may not log in again.
        with pytest.raises((AuthenticationError, DatabaseUnavailable)):
            await emil.services.incidents.count(emil.actor, IncidentQuery())
        with pytest.raises(AuthenticationError, match="gesperrt"):
            await log_in(people.target, "emil", "emil-pass-1")
        await admin.services.users.set_active(admin.actor, "emil", True)
        again = await log_in(people.target, "emil", "emil-pass-1")
        # A person changes their own password; the old one stops working.
        await again.services.users.set_password(again.actor, "emil", "neu-pass-22")
        with pytest.raises(AuthenticationError):
            await log_in(people.target, "emil", "emil-pass-1")
        for s in (owner, admin, emil, again):
            await s.close()
        last = await log_in(people.target, "emil", "neu-pass-22")
        await last.close()

    run(scenario())


def test_directory_password_logs_in_and_the_group_role_decides_the_role(people: Servers) -> None:
    async def scenario() -> None:
        bernd = await log_in(people.target, "bernd", "Verzeichnis-1")
        assert bernd.actor.role == Role.CLERK
        await bernd.close()
        with pytest.raises(AuthenticationError, match="falsch"):
            await log_in(people.target, "bernd", "falsch")
        admin = await log_in(people.target, "anna.admin", "admin-pass-1")
        await admin.services.users.set_role(admin.actor, "bernd", Role.SHIFT_LEAD)
        await admin.close()
        bernd = await log_in(people.target, "bernd", "Verzeichnis-1")
        assert bernd.actor.role == Role.SHIFT_LEAD
        await bernd.close()
        # In the directory but without an account here: no way in.
        with pytest.raises(AuthenticationError):
            await log_in(people.target, "clara", "Verzeichnis-2")

    run(scenario())
    assert (
        people.cluster.superuser_sql(
            "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = 'bernd'"
        )
        == "t"
    )


def test_a_dispatcher_cannot_manage_users_even_if_the_program_thought_so(people: Servers) -> None:
    from app.platform.uow import Actor

    async def scenario() -> None:
        dora = await log_in(people.target, "dora", "richtig-123")
        try:
            forged = Actor(dora.actor.user_id, "dora", Role.ADMIN, "Dora")
            with pytest.raises(PermissionDenied):
                await dora.services.users.add(forged, "mallory", "M", Role.ADMIN, "mallory-123")
            with pytest.raises(PermissionDenied):
                await dora.services.users.set_role(forged, "emil", Role.ADMIN)

        finally:
            await dora.close()

    run(scenario())
    assert (
        people.cluster.superuser_sql("SELECT count(*) FROM pg_roles WHERE rolname = 'mallory'")
        == "0"
    )


def _admin_cli(
    servers: Servers, *args: str, user: str, password: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KOD_LANG": "de", "PGPASSWORD": password}
    env.pop("PGPASSFILE", None)
    cmd = [
        sys.executable,
        "-m",
        "app.tools.cli",
        "--database",
        str(servers.target.display),
        "--user",
        user,
    ]
    return subprocess.run(
        [*cmd, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def test_kod_admin_logs_in_and_can_do_only_what_the_login_may(people: Servers) -> None:
    listed = _admin_cli(people, "user", "list", user="anna.admin", password="admin-pass-1")
    assert listed.returncode == 0, listed.stderr
    assert "dora" in listed.stdout and "Disponent" in listed.stdout
    head = _admin_cli(people, "audit", "head", user="anna.admin", password="admin-pass-1")
    assert head.returncode == 0 and len(head.stdout.strip()) == 64
    # Administration may verify (through the server) but not read the log.
    verified = _admin_cli(
        people,
        "audit",
        "verify",
        "--expect-head",
        head.stdout.strip(),
        user="anna.admin",
        password="admin-pass-1",
    )
    assert verified.returncode == 0 and "intakt" in verified.stdout, verified.stderr
    refused = _admin_cli(
        people,
        "user",
        "add",
        "x.y",
        "--role",
        "admin",
        "--no-password",
        user="dora",
        password="richtig-123",
    )
    assert refused.returncode == 6 and "nicht berechtigt" in refused.stderr
    wrong = _admin_cli(people, "user", "list", user="anna.admin", password="falsch")
    assert (
        wrong.returncode == 5
        and "Anmeldung" in wrong.stderr
        and "falsch" not in wrong.stderr.split(":", 1)[0]
    )
    assert "Traceback" not in refused.stderr + wrong.stderr


def test_the_workstation_check_never_shows_a_password(people: Servers) -> None:
    url = people.cluster.url("dora", "geheimes-Passwort") + "?password=noch-geheimer"
    env = {**os.environ, "KOD_LANG": "de", "KOD_NO_DIALOGS": "1", "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-m", "ui.main", "--check", "--database", url],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode != 0  # wrong password for dora
    text = out.stdout + out.stderr
    assert "geheimes-Passwort" not in text and "noch-geheimer" not in text and "***" in text


def test_raw_login_with_the_directory_password_has_only_the_group_rights(people: Servers) -> None:
    with (
        psycopg.connect(people.cluster.url("bernd", "Verzeichnis-1")) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute("SELECT * FROM audit_log")
