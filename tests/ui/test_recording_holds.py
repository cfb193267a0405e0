"""Deletion periods and holds of bodycam recordings as people work them, each logged in as
themselves on both engines: a clerk proposes a hold, the shift lead confirms it; the shift lead
cannot confirm his own proposal; lifting takes two people too; the lists follow the changes.
The evidence export with password and cancel; the data-protection officer's clip-access
report; an offence case that takes a recording as evidence."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
import pyzipper
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from app.domain.offences.cases import CaseDraft, PersonDraft
from app.domain.offences.limitation import Culpability
from app.domain.retention import HoldKind
from app.evidence.config import ENV_KEY_FILE, ENV_QUARANTINE, ENV_STORE
from app.evidence.package import SUMS_NAME
from app.platform.changefeed import ChangeFollower, last_change_id
from app.platform.database import Database
from app.platform.errors import ValidationError
from app.platform.permissions import Role
from app.platform.timeutil import utcnow
from app.services import Services
from app.services.login import Session, log_in
from app.services.recording_access import RecordingAccessService
from app.services.recording_desk import HoldState
from resources.paths import resource_path
from tests.conftest import ADMIN
from tests.evidence_files import Scene, import_clip, make_clips, officer_scene
from tests.ui.conftest import wait_until
from ui.asyncutil import pending_tasks
from ui.context import ChangeBridge, UiContext
from ui.main_window import MainWindow
from ui.models.work_table import alive
from ui.views import recordings_admin
from ui.views.offences.pane import OffenceCasePane
from ui.views.offences.recording import LinkRecordingDialog
from ui.views.recordings_admin.dialogs import ProposeHoldDialog, ProposeReleaseDialog
from ui.views.recordings_admin.export import EvidenceExportDialog
from ui.views.recordings_admin.models import HOLD_RECORDING, UP_ID
from ui.views.recordings_admin.pane import RecordingHoldsPane
from ui.views.recordings_admin.report import ClipAccessReportView
from ui.views.work_table_view import select_row

PASSWORD = "geheim123"
SECRET = "Beweis-2026-sicher!"
PEOPLE = {
    "sb1": ("Sina Sachbearbeitung", Role.CLERK),
    "sl1": ("Lars Schichtleitung", Role.SHIFT_LEAD),
    "sl2": ("Lena Schichtleitung", Role.SHIFT_LEAD),
    "dsb": ("Dana Datenschutz", Role.DATA_PROTECTION),
}


@dataclass
class Desk:
    """Logged-in people with their own contexts, and two recordings due in about a day."""

    services: Services
    scene: Scene
    recordings: list[int]
    sessions: dict[str, Session] = field(default_factory=dict)
    followers: list[ChangeFollower] = field(default_factory=list)
    panes: list[RecordingHoldsPane] = field(default_factory=list)

    async def ctx(self, name: str) -> UiContext:
        session = self.sessions.get(name)
        if session is None:
            session = await log_in(
                self.services.db.target, name, PASSWORD, workstation=f"ws-{name}"
            )
            self.sessions[name] = session
        db = session.services.db
        follower = ChangeFollower(db, after_id=await last_change_id(db), poll_interval=0.05)
        follower.start()
        self.followers.append(follower)
        return UiContext(
            services=session.services, actor=session.actor, bridge=ChangeBridge(follower)
        )

    async def pane(self, name: str, qtbot: QtBot) -> RecordingHoldsPane:
        pane = RecordingHoldsPane(await self.ctx(name))
        qtbot.addWidget(pane)
        pane.resize(1200, 700)
        pane.show()
        pane.days.setValue(3)
        pane.start()
        self.panes.append(pane)
        await wait_until(lambda: pane.idle() and pane.upcoming_count.text() != "")
        return pane

    async def close(self) -> None:
        for follower in self.followers:
            await follower.stop()
        await wait_until(lambda: all(not alive(p) or p.idle() for p in self.panes))
        await wait_until(lambda: not pending_tasks())
        for session in self.sessions.values():
            await session.close()


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return make_clips(tmp_path_factory.mktemp("clips"), 2)


@pytest_asyncio.fixture
async def desk(
    db: Database,
    services: Services,
    tmp_path: Path,
    clips: list[Path],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Desk]:
    scene, dispatcher = await officer_scene(db, services, tmp_path)
    for key, value in (
        (ENV_KEY_FILE, scene.config.key_file),
        (ENV_STORE, scene.config.store_dir),
        (ENV_QUARANTINE, scene.config.quarantine_dir),
    ):
        monkeypatch.setenv(key, str(value))
    for name, (display, role) in PEOPLE.items():
        await services.users.add(ADMIN, name, display, role, PASSWORD)
    # Recorded 13 days ago: deleted within the next two days unless held.
    when = utcnow() - timedelta(days=13)
    ids = [
        await import_clip(db, scene.store, dispatcher, clip, when + timedelta(minutes=n))
        for n, clip in enumerate(clips)
    ]
    opened = Desk(services, scene, ids)
    yield opened
    await opened.close()


def _select(pane: RecordingHoldsPane, recording_id: int) -> None:
    row = pane.upcoming.row_of(recording_id)
    assert select_row(pane.upcoming_table, row, UP_ID)
    pane.upcoming_table.setFocus()


def _select_hold(pane: RecordingHoldsPane, recording_id: int) -> None:
    row = next(r for r, h in enumerate(pane.holds.rows()) if h.recording.id == recording_id)
    assert select_row(pane.hold_table, row, HOLD_RECORDING)
    pane.hold_table.setFocus()


def _action(pane: RecordingHoldsPane, command_id: str) -> Callable[[], None]:
    for action in pane.actions():
        if action.objectName() == command_id:
            return action.trigger
    raise AssertionError(f"{command_id} not offered")


async def _propose(
    pane: RecordingHoldsPane, qtbot: QtBot, recording_id: int, kind: HoldKind, number: str
) -> None:
    _select(pane, recording_id)
    _action(pane, "recordings.propose_hold")()
    dialog = pane.dialog
    assert isinstance(dialog, ProposeHoldDialog) and dialog.isVisible()
    dialog.kind.setCurrentIndex(dialog.kind.findData(kind.value))
    qtbot.keyClicks(dialog.reason, "Anzeige wegen Beleidigung, Beweissicherung")
    if kind.needs_file_number and not number:
        dialog.try_submit()
        await wait_until(lambda: dialog.message.isVisible() and not dialog.busy)
        assert "Aktenzeichen" in dialog.message.text()
        return
    dialog.file_number.setText(number)
    dialog.try_submit()
    await wait_until(lambda: not alive(dialog) or not dialog.isVisible())


@pytest.mark.asyncio
async def test_a_clerk_proposes_a_hold_and_the_shift_lead_confirms_it_lifting_takes_two(
    desk: Desk, qtbot: QtBot
) -> None:
    first, second = desk.recordings
    clerk = await desk.pane("sb1", qtbot)
    lead = await desk.pane("sl1", qtbot)
    assert clerk.upcoming.rowCount() == 2 and clerk.holds.rowCount() == 0
    # The clerk may propose but never confirm.
    assert not clerk.confirm_button.isVisible() and clerk.propose_button.isVisible()

    # OWi proceedings without a file number: refused in German, the input stays.
    await _propose(clerk, qtbot, first, HoldKind.OFFENCE, "")
    dialog = clerk.dialog
    assert isinstance(dialog, ProposeHoldDialog)
    dialog.file_number.setText("OWi-2026-000042")
    dialog.try_submit()
    await wait_until(lambda: not alive(dialog) or not dialog.isVisible())
    # The held recording leaves the deletions at once; the shift lead's pane follows.
    await wait_until(lambda: clerk.upcoming.rowCount() == 1 and clerk.holds.rowCount() == 1)
    await wait_until(lambda: lead.holds.rowCount() == 1)
    hold = lead.holds.rows()[0]
    assert hold.state is HoldState.PROPOSED and hold.file_number == "OWi-2026-000042"
    assert hold.proposed_by == "sb1" and hold.recording.officer == "Mia Müller (m.mueller)"

    # The shift lead proposes a hold himself and cannot confirm it: the German refusal.
    await _propose(lead, qtbot, second, HoldKind.DANGER, "")
    await wait_until(lambda: lead.holds.rowCount() == 2)
    _select_hold(lead, second)
    _action(lead, "recordings.confirm")()
    await wait_until(lambda: "zwei verschiedene Personen" in lead.message.text())
    assert lead.holds.rows()[lead.holds.row_of(lead.selected_hold().id)].state is (  # type: ignore[union-attr]
        HoldState.PROPOSED
    )

    # He confirms the clerk's proposal; a second shift lead confirms his.
    _select_hold(lead, first)
    _action(lead, "recordings.confirm")()
    await wait_until(lambda: "in Kraft" in lead.message.text())
    other = await desk.pane("sl2", qtbot)
    _select_hold(other, second)
    other.confirm_button.click()
    await wait_until(lambda: "in Kraft" in other.message.text())
    await wait_until(
        lambda: (
            [h.state for h in clerk.holds.rows()] == [HoldState.IN_FORCE] * 2
            and clerk.upcoming.rowCount() == 0
        )
    )

    # Lifting: the clerk proposes, the shift lead confirms; the recording is due again.
    _select_hold(clerk, first)
    _action(clerk, "recordings.propose_release")()
    release = clerk.dialog
    assert isinstance(release, ProposeReleaseDialog)
    qtbot.keyClicks(release.reason, "Verfahren eingestellt, Aufnahme wird nicht mehr gebraucht")
    release.try_submit()
    await wait_until(lambda: not alive(release) or not release.isVisible())
    await wait_until(lambda: any(h.state is HoldState.RELEASE_PROPOSED for h in lead.holds.rows()))
    _select_hold(lead, first)
    _action(lead, "recordings.confirm")()
    await wait_until(lambda: "aufgehoben" in lead.message.text())
    await wait_until(lambda: clerk.holds.rowCount() == 1 and clerk.upcoming.row_of(first) >= 0)


@pytest.mark.asyncio
async def test_export_with_password_writes_a_package_with_progress_and_cancel_leaves_nothing(
    desk: Desk, qtbot: QtBot, tmp_path: Path
) -> None:
    first, _second = desk.recordings
    pane = await desk.pane("sb1", qtbot)
    _select(pane, first)
    _action(pane, "recordings.export")()
    dialog = pane.dialog
    assert isinstance(dialog, EvidenceExportDialog) and dialog.isVisible()
    moves: list[tuple[int, int, int]] = []
    dialog.progress.moved.connect(lambda i, d, t: moves.append((i, d, t)))
    out = tmp_path / "Ausgang"
    out.mkdir()
    dialog.recipient_name.setText("Stadt Leverkusen")
    dialog.reason.setText("Anforderung der Bußgeldstelle, Az. OWi-2026-000042")
    dialog.folder.setText(str(out))
    dialog.password.setText(SECRET)
    dialog.password_again.setText(SECRET + "x")
    dialog.start()
    assert "unterscheiden" in dialog.message.text() and not dialog.running
    dialog.password_again.setText(SECRET)
    dialog.start()
    assert dialog.running and not dialog.start_button.isEnabled()
    await wait_until(lambda: not dialog.running)
    assert dialog.bar.value() == 100 and moves[-1][1] == moves[-1][2] > 0
    assert len(dialog.packages) == 1 and str(dialog.packages[0]) in dialog.message.text()
    archive = next(dialog.packages[0].glob("*.zip"))
    assert (dialog.packages[0] / SUMS_NAME).is_file()
    stored = next(r for r in desk.scene.recordings() if r.id == first)
    with pyzipper.AESZipFile(archive) as zf:
        zf.setpassword(SECRET.encode())
        clip = zf.read(f"Aufnahme-{first}.mp4")
    assert hashlib.sha256(clip).hexdigest() == stored.sha256

    # Cancelled at once: no package is left, and the dialog says so.
    again = tmp_path / "Abbruch"
    again.mkdir()
    dialog.folder.setText(str(again))
    dialog.start()
    dialog.cancel()
    await wait_until(lambda: not dialog.running)
    assert "Abgebrochen" in dialog.message.text()
    assert not [p for p in again.rglob("*") if p.is_file()]
    dialog.cancel()  # not running: closes
    await wait_until(lambda: not alive(dialog) or not dialog.isVisible())


@pytest.mark.asyncio
async def test_data_protection_reads_the_clip_access_report_but_cannot_open_or_export_clips(
    desk: Desk, qtbot: QtBot, tmp_path: Path
) -> None:
    first, _second = desk.recordings
    clerk = desk.sessions.get("sb1") or await log_in(
        desk.services.db.target, "sb1", PASSWORD, workstation="ws-sb1"
    )
    desk.sessions["sb1"] = clerk
    opened = await RecordingAccessService(clerk.db, desk.scene.store).open(
        clerk.actor, first, "Sichtung für die Anzeige"
    )
    opened.close()
    ctx = await desk.ctx("dsb")
    window = MainWindow(
        ctx, "Test", QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    )
    qtbot.addWidget(window)
    recordings_admin.install(window)
    assert "clip_report" in window.docks and "recordings" not in window.docks
    report = window.docks["clip_report"].widget()
    assert isinstance(report, ClipAccessReportView)
    window.show()
    await wait_until(lambda: report.access_model.rowCount() > 0 and report.idle())
    seen = [(a.username, a.action, a.recording_id, a.reason) for a in report.accesses]
    assert ("sb1", "recording.open", first, "Sichtung für die Anzeige") in seen
    # Nothing here opens or exports a clip.
    offered = {a.objectName() for a in report.actions()}
    assert offered == {"clip_report.export"}
    assert not window.commands.trigger("recordings.export")
    path = tmp_path / "zugriffe.csv"
    report.export_csv(path)
    await wait_until(lambda: path.is_file())
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0][:3] == ["Zeit", "Person", "Aktion"]
    assert any(r[1] == "sb1" and r[5] == "Sichtung für die Anzeige" for r in rows[1:])
    window.hide()


@pytest.mark.asyncio
async def test_an_offence_case_takes_a_recording_as_evidence_and_the_shift_lead_confirms_the_hold(
    desk: Desk, qtbot: QtBot
) -> None:
    first, _second = desk.recordings
    services = desk.services
    await services.catalogue.import_csv(
        ADMIN, resource_path("data", "owi-catalogue-seed.csv").read_text(encoding="utf-8")
    )
    ctx = await desk.ctx("sb1")
    entry = (await services.catalogue.search(ADMIN, "141312"))[0].id
    act = utcnow() - timedelta(days=13, minutes=5)
    case = await ctx.services.offences.capture(
        ctx.actor,
        CaseDraft(
            catalogue_entry_id=entry,
            act_description="Beleidigung der Einsatzkraft bei der Kontrolle",
            committed_at=act,
            place="Hauptstraße 12, Wiesdorf",
            culpability=Culpability.INTENT,
            concerned=PersonDraft("Muster", "Max", date(1980, 5, 17), "Wiesdorfer Platz 1"),
        ),
    )
    cases = OffenceCasePane(ctx)
    qtbot.addWidget(cases)
    cases.show()
    cases.start()
    await wait_until(lambda: cases.idle() and cases.select_case(case.id))
    assert cases.detail.recording_button.isVisible()
    for action in cases.actions():
        if action.objectName() == "offences.link_recording":
            action.trigger()
    dialog = cases.dialog
    assert isinstance(dialog, LinkRecordingDialog) and dialog.isVisible()
    # The recordings made around the time of the act, nearest first.
    await wait_until(lambda: dialog.recordings.count() == 2)
    assert dialog.chosen() is not None and dialog.chosen().id == first  # type: ignore[union-attr]
    dialog.note.setText("Minute 0:40 zeigt die Beleidigung")
    dialog.try_submit()
    await wait_until(lambda: not alive(dialog) or not dialog.isVisible())
    items = await ctx.services.offences.evidence(ctx.actor, case.id)
    assert [(i.kind, i.recording_id) for i in items] == [("recording", first)]
    await wait_until(
        lambda: any(
            "Bodycam-Aufnahme Nr." in cases.evidence.item(r).text()
            for r in range(cases.evidence.count())
        )
    )
    # Taken twice: refused in German, nothing proposed twice.
    with pytest.raises(ValidationError, match="bereits Beweismittel"):
        await ctx.services.offences.link_recording(ctx.actor, case.id, first)

    lead = await desk.pane("sl1", qtbot)
    await wait_until(lambda: lead.holds.rowCount() == 1)
    hold = lead.holds.rows()[0]
    assert hold.kind is HoldKind.OFFENCE and hold.file_number == case.number
    assert hold.proposed_by == "sb1" and hold.state is HoldState.PROPOSED
    _select_hold(lead, first)
    _action(lead, "recordings.confirm")()
    await wait_until(lambda: "in Kraft" in lead.message.text())
    held = await lead.ctx.services.recording_admin.holds.holds(lead.ctx.actor, first)
    assert held[0].in_force and held[0].confirmed_by == "sl1"
