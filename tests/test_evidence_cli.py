"""``kod-admin recordings``: the master key is created once and never overwritten."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.evidence.keys import load_master_key
from app.tools.cli import run


def test_keygen_then_check_and_a_second_keygen_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    key = tmp_path / "schluessel" / "master.key"
    monkeypatch.setenv("KOD_RECORDING_KEY_FILE", str(key))
    monkeypatch.setenv("KOD_RECORDING_STORE", str(tmp_path / "speicher"))
    monkeypatch.setenv("KOD_RECORDING_QUARANTINE", str(tmp_path / "quarantaene"))
    assert run(["recordings", "check"]) == 2
    assert "Hauptschlüsseldatei für Bodycam-Aufnahmen fehlt" in capsys.readouterr().err
    assert run(["recordings", "keygen"]) == 0
    master = load_master_key(key)
    assert master.key_id in capsys.readouterr().out
    assert key.stat().st_mode & 0o077 == 0, "only its owner may read the key file"
    assert run(["recordings", "check"]) == 0
    assert str(tmp_path / "speicher") in capsys.readouterr().out
    assert run(["recordings", "keygen"]) == 2
    assert "nie überschrieben" in capsys.readouterr().err
    assert load_master_key(key) == master
