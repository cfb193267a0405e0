"""The import folder offers settled files only, sidecars never on their own."""

from __future__ import annotations

from pathlib import Path

from app.evidence.inbox import InboxWatch
from tests.evidence_files import make_clip, write_sidecar


def test_files_are_ready_once_they_stop_changing(tmp_path: Path) -> None:
    video = make_clip(tmp_path / "BC017_0815.mp4")
    write_sidecar(video, officer="m.mueller")
    note = tmp_path / "notiz.txt"
    note.write_text("kein Video", encoding="utf-8")
    growing = tmp_path / "BC018_0900.mp4"
    growing.write_bytes(b"\0" * 100)
    (tmp_path / "BC019.mp4.part").write_bytes(b"\0")
    (tmp_path / ".versteckt").write_bytes(b"\0")
    watch = InboxWatch(tmp_path)
    assert watch.ready() == []
    with growing.open("ab") as fh:
        fh.write(b"\0" * 100)
    assert watch.ready() == [video, note]
    assert watch.ready() == [video, growing, note]
