"""The demo dataset gets a handful of real bodycam clips (made by ffmpeg), linked to demo
incidents, one of them held; without ffmpeg it says so and goes on."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.evidence.store import EvidenceStore
from app.platform.uow import Actor
from app.services import Services
from app.services.recording_verify import VerifyService
from db.models import IncidentUnit, Recording, RecordingHold, UnitMember
from demodata.generate import generate_demo
from demodata.recordings import generate_demo_recordings
from tests.conftest import ADMIN
from tests.evidence_files import evidence_config, files_under


@pytest.mark.asyncio
async def test_demo_clips_are_imported_linked_and_one_is_held(
    services: Services, tmp_path: Path
) -> None:
    config = evidence_config(tmp_path)
    lines: list[str] = []
    summary = await generate_demo(
        services, Actor.cli(), incidents=300, seed=7, recordings=3, evidence=config,
        progress=lines.append,
    )  # fmt: skip
    assert any("Bodycam" in line for line in lines), lines
    assert "Demodaten angelegt" in summary
    engine = services.db.sync_engine()
    try:
        with Session(engine) as s:
            recordings = list(s.scalars(select(Recording)))
            assert len(recordings) == 3
            for rec in recordings:
                # Linked to an incident its officer's unit was sent to.
                assert rec.incident_id is not None and rec.unit_id is not None
                assert s.scalar(
                    select(IncidentUnit.id).where(
                        IncidentUnit.incident_id == rec.incident_id,
                        IncidentUnit.unit_id == rec.unit_id,
                    )
                )
                assert s.scalar(
                    select(UnitMember.user_id).where(
                        UnitMember.unit_id == rec.unit_id, UnitMember.user_id == rec.officer_id
                    )
                )
            [hold] = list(s.scalars(select(RecordingHold)))
            assert hold.confirmed_by_id not in (None, hold.created_by_id)
    finally:
        engine.dispose()
    assert len(files_under(config.store_dir)) == 3
    report = await VerifyService(services.db, EvidenceStore.open(config)).verify_all(ADMIN)
    assert report.ok and len(report.checks) == 3


@pytest.mark.asyncio
async def test_without_ffmpeg_the_demo_has_no_clips_and_says_so(
    services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no ffmpeg on the path
    lines: list[str] = []
    made = await generate_demo_recordings(
        services, random.Random(1), 3, lines.append, evidence_config(tmp_path)
    )
    assert made == 0 and lines == [
        "ffmpeg ist nicht installiert: Die Demodaten erhalten keine Bodycam-Aufnahmen."
    ]
