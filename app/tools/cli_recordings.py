"""``kod-admin recordings …``: set up and check the bodycam store (no database needed)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from app.evidence.config import ENV_KEY_FILE, resolve_evidence_config
from app.evidence.keys import write_master_key
from app.evidence.store import EvidenceStore
from app.platform.i18n import tr


def add_parser(sub: Any) -> None:
    """Add the ``recordings`` command to ``kod-admin``'s subparsers."""
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


def run(args: argparse.Namespace) -> int:
    """Carry out one ``recordings`` command."""
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
