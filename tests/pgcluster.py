"""Throw-away servers for the tests that prove authentication: a PostgreSQL cluster whose
pg_hba.conf asks for SCRAM passwords (or a directory), and an OpenLDAP server (Debian's slapd).

The machine's own PostgreSQL on 127.0.0.1:5432 trusts local connections, so a password test
there would prove nothing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

OWNER = "kod_owner"
OWNER_PASSWORD = "owner-secret-1"
DATABASE = "leitstelle"
LDAP_SUFFIX = "dc=kod,dc=test"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin() -> Path:
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        key=lambda p: int(p.parent.parent.name),
    )
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries (scripts/setup.sh installs them)")
    return versions[-1].parent


def _as_server_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root: the tests run it as the postgres user then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kwargs)  # type: ignore[call-overload, no-any-return]


def _wait_for_port(port: int, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {seconds} s")


@dataclass(frozen=True)
class Cluster:
    """A running throw-away PostgreSQL server with the application's database migrated."""

    port: int
    root: Path

    def url(self, user: str | None = None, password: str | None = None) -> str:
        """A database URL for ``user`` (no user: as the owner with its password)."""
        if user is None:
            user, password = OWNER, OWNER_PASSWORD
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{DATABASE}"

    def superuser_sql(self, sql: str) -> str:
        """Run ``sql`` as the cluster's superuser over its local socket; its output."""
        cmd = [
            str(_pg_bin() / "psql"),
            "-X",
            "-q",
            "-tA",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.root / "sock"),
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            DATABASE,
            "-c",
            sql,
        ]
        return _run(_as_server_user(cmd)).stdout.strip()


@contextmanager
def postgres_cluster(hba_lines: list[str]) -> Iterator[Cluster]:
    """Start a cluster whose pg_hba.conf has ``hba_lines`` for TCP connections.

    Local socket connections of the superuser are trusted (for setting up); the owner role
    ``kod_owner`` (password login, CREATEROLE, pg_signal_backend) owns ``leitstelle``, which is
    migrated to head.
    """
    root = Path(tempfile.mkdtemp(prefix="kod-pg-"))
    (root / "sock").mkdir()
    if os.geteuid() == 0:
        uid = pwd.getpwnam("postgres").pw_uid
        for path in (root, root / "sock"):
            os.chown(path, uid, -1)
        root.chmod(0o755)
    data = root / "data"
    port = free_port()
    binaries = _pg_bin()
    started = False
    try:
        _run(
            _as_server_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=reject",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            )
        )
        hba = ["local all all trust", *hba_lines]
        write = f"cat > {data / 'pg_hba.conf'}"
        _run(_as_server_user(["sh", "-c", write]), input="\n".join(hba) + "\n")
        conf = (
            f"port = {port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{root / 'sock'}'\npassword_encryption = scram-sha-256\n"
            "fsync = off\nshared_buffers = 16MB\nmax_connections = 40\n"
        )
        _run(_as_server_user(["sh", "-c", f"cat >> {data / 'postgresql.conf'}"]), input=conf)
        _run(
            _as_server_user(
                [str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "start"]
            )
        )
        started = True
        cluster = Cluster(port, root)
        for sql in (
            f"CREATE ROLE {OWNER} LOGIN CREATEROLE PASSWORD '{OWNER_PASSWORD}'",
            f"GRANT pg_signal_backend TO {OWNER}",
            f"CREATE DATABASE {DATABASE} OWNER {OWNER} ENCODING 'UTF8' TEMPLATE template0",
        ):
            cmd = [
                str(binaries / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h",
                str(root / "sock"), "-p", str(port), "-U", "postgres", "-d", "postgres", "-c", sql,
            ]  # fmt: skip
            _run(_as_server_user(cmd))
        cluster.superuser_sql(f"ALTER SCHEMA public OWNER TO {OWNER}")
        from sqlalchemy import create_engine

        from db.migrate import upgrade

        engine = create_engine(cluster.url().replace("postgresql://", "postgresql+psycopg://"))
        try:
            upgrade(engine)
        finally:
            engine.dispose()
        yield cluster
    finally:
        if started:
            subprocess.run(
                _as_server_user(
                    [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
                ),
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Directory:
    """A running throw-away OpenLDAP server with people under ou=people."""

    port: int

    def hba_line(self, database: str = DATABASE) -> str:
        """The pg_hba.conf line that sends members of kod_directory to this server."""
        return (
            f"host {database} +kod_directory 127.0.0.1/32 ldap ldapserver=127.0.0.1 "
            f'ldapport={self.port} ldapprefix="uid=" ldapsuffix=",ou=people,{LDAP_SUFFIX}"'
        )


@contextmanager
def ldap_server(people: dict[str, str]) -> Iterator[Directory]:
    """Start slapd with the given people (uid → password) on a free port."""
    slapd = shutil.which("slapd") or "/usr/sbin/slapd"
    slapadd = shutil.which("slapadd") or "/usr/sbin/slapadd"
    if not Path(slapd).exists():
        raise RuntimeError("slapd is not installed (scripts/setup.sh installs it)")
    root = Path(tempfile.mkdtemp(prefix="kod-ldap-"))
    (root / "db").mkdir()
    port = free_port()
    conf = root / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                *(
                    f"include /etc/ldap/schema/{name}.schema"
                    for name in ("core", "cosine", "inetorgperson", "nis")
                ),
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                f"pidfile {root / 'slapd.pid'}",
                "database mdb",
                "maxsize 10485760",
                f'suffix "{LDAP_SUFFIX}"',
                f'rootdn "cn=admin,{LDAP_SUFFIX}"',
                "rootpw admin-secret",
                f"directory {root / 'db'}",
                "access to attrs=userPassword by anonymous auth by * none",
                "access to * by * read",
                "",
            ]
        )
    )
    entries = [
        f"dn: {LDAP_SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: KOD\ndc: kod\n",
        f"dn: ou=people,{LDAP_SUFFIX}\nobjectClass: organizationalUnit\nou: people\n",
        *(
            f"dn: uid={uid},ou=people,{LDAP_SUFFIX}\nobjectClass: inetOrgPerson\nuid: {uid}\n"
            f"cn: {uid}\nsn: {uid}\nuserPassword: {password}\n"
            for uid, password in people.items()
        ),
    ]
    (root / "data.ldif").write_text("\n".join(entries))
    _run([slapadd, "-f", str(conf), "-l", str(root / "data.ldif")])
    process = subprocess.Popen(
        [slapd, "-f", str(conf), "-h", f"ldap://127.0.0.1:{port}/", "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port)
        yield Directory(port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
