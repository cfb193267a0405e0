"""``kod-admin recordings …`` and ``kod-admin retention run``: the bodycam store.

- ``recordings keygen`` / ``check``: the master key and the store (no database needed);
- ``recordings verify``: check every stored recording (every block's tag and the SHA-256),
  one German line per recording, exit code 12 if any failed; audited;
- ``recordings export``: an evidence package (see :mod:`app.evidence.package`); the
  chain-of-custody PDF is laid out by the printing layer in a child process
  (``python -m ui.printing.custody``), so ``kod-admin`` itself never loads Qt;
- ``retention run``: delete the recordings whose period ran out (for a scheduled task);
  ``retention upcoming``: what the next days delete.
"""

from __future__ import annotations

import argparse
import getpass
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from app.evidence.config import ENV_KEY_FILE, resolve_evidence_config
from app.evidence.keys import write_master_key
from app.evidence.storage import FolderStore
from app.evidence.store import EvidenceStore
from app.platform.errors import KodError, ValidationError
from app.platform.i18n import tr
from app.platform.permissions import Role
from app.platform.timeutil import format_local
from app.platform.uow import Actor
from app.services import Services
from app.services.recording_export import CustodyReport, RecordingExportService
from app.services.recording_retention import RetentionService
from app.services.recording_verify import VerifyService

#: ``recordings`` commands that need no database.
OFFLINE = frozenset({"keygen", "check"})
#: Exit code of ``verify`` when a recording failed (that of :class:`TamperedError`).
EXIT_FAILED = 12


def add_parser(sub: Any) -> None:
    """Add the ``recordings`` and ``retention`` commands to ``kod-admin``'s subparsers."""
    rp = sub.add_parser("recordings", help=tr("cli", "Bodycam recordings"))
    rps = rp.add_subparsers(dest="recordings_command", required=True)
    key = rps.add_parser(
        "keygen",
        help=tr("cli", "Create the master key file (once; keep a backup in a safe place)"),
    )
    key.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help=tr("cli", "default: KOD_RECORDING_KEY_FILE or the machine's configuration folder"),
    )
    rps.add_parser("check", help=tr("cli", "Check the master key and the recording store"))
    rps.add_parser(
        "verify",
        help=tr("cli", "Check every stored recording (every block and the SHA-256)"),
    )
    exp = rps.add_parser(
        "export", help=tr("cli", "Write an evidence package (clip, metadata, hashes, protocol)")
    )
    exp.add_argument("recording", type=int, metavar="ID")
    exp.add_argument("--reason", required=True, help=tr("cli", "why it is exported"))
    exp.add_argument(
        "--recipient", required=True, help=tr("cli", "who receives it (e.g. Bußgeldstelle)")
    )
    exp.add_argument("--out", required=True, metavar="FOLDER", help=tr("cli", "target folder"))
    exp.add_argument(
        "--password-stdin",
        action="store_true",
        help=tr(
            "cli", "Encrypt the package (AES-256 ZIP) with a password read from standard input"
        ),
    )
    ret = sub.add_parser("retention", help=tr("cli", "Deletion of bodycam recordings"))
    rts = ret.add_subparsers(dest="retention_command", required=True)
    rts.add_parser(
        "run", help=tr("cli", "Delete the recordings whose retention period ran out (no hold)")
    )
    up = rts.add_parser("upcoming", help=tr("cli", "List the deletions of the next days"))
    up.add_argument("--days", type=int, default=3, help=tr("cli", "days ahead (default 3)"))


def run(args: argparse.Namespace) -> int:
    """Carry out ``recordings keygen`` or ``recordings check`` (no database)."""
    config = resolve_evidence_config()
    if args.recordings_command == "keygen":
        path = Path(args.file) if args.file else config.key_file
        master = write_master_key(path)
        print(tr("cli", "Master key %1 written to %2.", master.key_id, path))
        print(
            tr(
                "cli",
                "Keep a copy in a safe place: without it no recording can be opened. Every "
                "workstation needs the same file (%1 names where it is).",
                ENV_KEY_FILE,
            )
        )
        return 0
    store = EvidenceStore.open(config)
    print(tr("cli", "Master key: %1 (%2)", store.master.key_id, config.key_file))
    print(tr("cli", "Recording store: %1", store.blobs.describe()))
    print(tr("cli", "Quarantine folder: %1", config.quarantine_dir))
    return 0


def _local_actor(role: Role) -> Actor:
    """SQLite: the operating-system user at the command line, in the role the job needs."""
    try:
        name = getpass.getuser()
    except Exception:
        name = "unknown"
    return Actor(None, f"cli:{name}"[:64], role, "Kommandozeile")


async def run_with_db(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out a ``recordings`` or ``retention`` command that needs the database.

    SQLite: as the operating-system user (the file is theirs). PostgreSQL: under the login
    given, which the server lets do only what its role may.
    """
    local = services.db.target.is_sqlite
    config = resolve_evidence_config()
    if args.command == "retention":
        retention = RetentionService(services.db, FolderStore(config.store_dir))
        if args.retention_command == "upcoming":
            who = _local_actor(Role.SHIFT_LEAD) if local else actor
            for u in await retention.upcoming(who, args.days):
                print(
                    tr(
                        "cli",
                        "Recording no. %1 (recorded %2): deleted %3",
                        u.recording_id,
                        format_local(u.started_at),
                        format_local(u.due_at),
                    )
                )
            return 0
        result = await retention.run(actor)
        print(
            tr(
                "cli",
                "%1 recordings deleted (Fristablauf), %2 stored files and %3 snapshot files "
                "removed.",
                len(result.deleted),
                result.files_removed,
                result.snapshots_removed,
            )
        )
        if result.files_left_to_others:
            print(
                tr(
                    "cli",
                    "This login may not remove the files of deleted recordings (right "
                    "recording.delete): run it under a Schichtleitung login or as the database "
                    "owner.",
                ),
                file=sys.stderr,
            )
        for key in result.files_left:
            print(tr("cli", "Not yet removed (tried again next run): %1", key), file=sys.stderr)
        return 0 if not result.files_left else 1
    store = EvidenceStore.open(config)
    if args.recordings_command == "verify":
        report = await VerifyService(services.db, store).verify_all(actor)
        for check in report.checks:
            line = tr("cli", "Recording no. %1: %2", check.recording_id, check.message)
            print(line, file=sys.stdout if check.ok else sys.stderr)
        for check in report.snapshot_checks:
            line = tr(
                "cli",
                "Snapshot no. %1 of recording no. %2: %3",
                check.snapshot_id,
                check.recording_id,
                check.message,
            )
            print(line, file=sys.stdout if check.ok else sys.stderr)
        for key in report.strays:
            print(tr("cli", "File without a recording in the store: %1", key), file=sys.stderr)
        print(
            tr(
                "cli",
                "%1 recordings checked, %2 damaged or missing.",
                len(report.checks),
                len(report.failed),
            )
        )
        return 0 if report.ok else EXIT_FAILED
    password = _read_password() if args.password_stdin else None
    values = await services.settings.all()
    head = {
        "city_name": str(values["print.city_name"]),
        "office_name": str(values["print.office_name"]),
        "logo_path": str(values["print.logo_path"]),
    }
    exporter = RecordingExportService(services.db, store, _child_pdf(head))
    files = await exporter.export(
        _local_actor(Role.CLERK) if local else actor,
        args.recording,
        args.reason,
        args.recipient,
        Path(args.out),
        password,
    )
    print(tr("cli", "Evidence package written: %1", files.folder))
    for name, digest in files.sha256.items():
        print(f"{digest}  {name}")
    return 0


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise ValidationError(tr("cli", "No password on standard input."), "password")
    return password


def _child_pdf(head: dict[str, str]) -> Any:
    """A custody writer that lays the PDF out in a child process (the printing layer)."""

    def write(report: CustodyReport, path: Path) -> None:
        source = path.with_name(path.name + ".json")
        source.write_text(
            json.dumps({"letterhead": head, "report": report.as_json()}, ensure_ascii=False),
            encoding="utf-8",
        )
        try:
            done = subprocess.run(
                [sys.executable, "-m", "ui.printing.custody", str(source), str(path)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        finally:
            source.unlink(missing_ok=True)
        if done.returncode != 0 or not path.is_file():
            raise KodError(
                tr(
                    "cli",
                    "The chain-of-custody PDF could not be written: %1",
                    (done.stderr or "").strip().splitlines()[-1:] or done.returncode,
                )
            )

    return write
