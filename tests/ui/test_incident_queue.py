"""The incident queue model and view: lazy loading, order, filters, live updates."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.domain.changes import ChangeSet
from app.domain.dto import Change, ChangeBatch, IncidentDraft, IncidentQuery, IncidentRow
from app.platform.uow import Actor
from tests.ui.conftest import make_incidents, wait_until
from ui.asyncutil import pending_tasks
from ui.context import UiContext
from ui.models.incident_queue import (
    COL_ADDRESS,
    COL_CATEGORY,
    COL_NUMBER,
    COL_PRIORITY,
    COL_SINCE_CREATED,
    COL_SINCE_DISPATCH,
    PAGE_SIZE,
    IncidentIdRole,
    IncidentQueueTableModel,
    format_duration,
)
from ui.views.incident_queue import IncidentQueueView


def test_format_duration() -> None:
    assert format_duration(59) == "0:59"
    assert format_duration(3600 + 61) == "1:01:01"
    assert format_duration(-5) == "0:00"
    assert format_duration(400 * 3600) == ">99 h"


@pytest.mark.asyncio
async def test_model_passes_qtmodeltester_and_shows_german_text(
    ui_ctx: UiContext, qtmodeltester: ModelTester
) -> None:
    await make_incidents(ui_ctx.services, ui_ctx.actor, 5)
    model = IncidentQueueTableModel(ui_ctx)
    await model.wait_loaded()
    qtmodeltester.check(model, force_py=True)
    model.stop()
    assert model.rowCount() == 5
    # Urgent first: the assault on staff (priority 1) heads the queue.
    assert model.data(model.index(0, COL_PRIORITY)) == "1"
    assert model.data(model.index(0, COL_CATEGORY)) == "Angriff auf Mitarbeitende"
    assert model.headerData(COL_NUMBER, Qt.Orientation.Horizontal) == "Nr."
    assert ":" in model.data(model.index(0, COL_SINCE_CREATED))


@pytest.mark.asyncio
async def test_lazy_loading_fetches_pages(ui_ctx: UiContext) -> None:
    await make_incidents(ui_ctx.services, ui_ctx.actor, PAGE_SIZE + 15)
    model = IncidentQueueTableModel(ui_ctx)
    await model.wait_loaded()
    assert model.rowCount() == PAGE_SIZE and model.total == PAGE_SIZE + 15
    assert model.canFetchMore()
    model.fetchMore()
    await wait_until(lambda: model.rowCount() == PAGE_SIZE + 15)
    assert not model.canFetchMore()
    model.stop()


@pytest.mark.asyncio
async def test_live_update_keeps_selection(ui_ctx: UiContext, qtbot: QtBot) -> None:
    ids = await make_incidents(ui_ctx.services, ui_ctx.actor, 4)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() == 4)
    assert view.select_incident(ids[1])
    # Another workstation (same service, other call) opens an urgent incident.
    new = await ui_ctx.services.incidents.create(
        ui_ctx.actor, IncidentDraft("assault_staff", address="Rathausplatz 1")
    )
    await wait_until(lambda: view.model.rowCount() == 5)
    assert view.model.data(view.model.index(0, COL_NUMBER), IncidentIdRole) in (new.id, ids[2])
    assert view.selected_id() == ids[1]
    # Closing an incident with "open only" removes it live.
    view.open_only.setChecked(True)
    await wait_until(lambda: view.model.rowCount() == 5 and view.model.query.open_only)
    detail = await ui_ctx.services.incidents.get(ui_ctx.actor, ids[0])
    await ui_ctx.services.incidents.close(ui_ctx.actor, ids[0], detail.version, "resolved")
    await wait_until(lambda: view.model.rowCount() == 4)
    assert view.model.row_of(ids[0]) == -1
    assert view.selected_id() == ids[1]


@pytest.mark.asyncio
async def test_filters_and_sorting(ui_ctx: UiContext, qtbot: QtBot) -> None:
    await make_incidents(ui_ctx.services, ui_ctx.actor, 6)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() == 6)
    view.category.setCurrentIndex(view.category.findData("waste"))
    await wait_until(lambda: view.model.rowCount() == 2)
    view.category.setCurrentIndex(0)
    view.search.setText("Teststraße 5")
    view.apply_filter()
    await wait_until(lambda: view.model.rowCount() == 1)
    assert view.model.query == IncidentQuery(text="Teststraße 5")
    view.search.clear()
    view.apply_filter()
    await wait_until(lambda: view.model.rowCount() == 6)
    view._on_header_clicked(COL_NUMBER)
    await wait_until(lambda: view.model.query.sort == "number")
    await wait_until(lambda: view.model.data(view.model.index(0, COL_NUMBER)).endswith("000001"))
    view._on_header_clicked(COL_NUMBER)
    await wait_until(lambda: view.model.data(view.model.index(0, COL_NUMBER)).endswith("000006"))


@pytest.mark.asyncio
async def test_selected_incident_stays_selected_when_it_changes_or_moves(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    ids = await make_incidents(ui_ctx.services, ui_ctx.actor, 6)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() == 6)
    selected = ids[1]  # a waste incident, priority 3
    assert view.select_incident(selected)
    before = view.model.row_of(selected)
    detail = await ui_ctx.services.incidents.get(ui_ctx.actor, selected)
    # Same position: the description changes.
    detail = await ui_ctx.services.incidents.update(
        ui_ctx.actor, selected, detail.version, {"description": "Neue Angabe"}
    )
    await wait_until(lambda: view.model.row_at(before).version == detail.version)
    assert view.selected_id() == selected
    # It moves to the top: raised to priority 1.
    await ui_ctx.services.incidents.update(ui_ctx.actor, selected, detail.version, {"priority": 1})
    await wait_until(lambda: view.model.row_of(selected) < before)
    assert view.selected_id() == selected
    view.model.stop()


@pytest.mark.asyncio
async def test_live_closing_during_a_search_keeps_the_servers_order(ui_ctx: UiContext) -> None:
    ids = await make_incidents(ui_ctx.services, ui_ctx.actor, 6)
    model = IncidentQueueTableModel(ui_ctx)
    model.set_query(IncidentQuery(text="Teststraße"))
    await wait_until(lambda: model.rowCount() == 6)
    # Close the newest first, then an old one: the search lists closed ones by number.
    for incident_id in (ids[5], ids[0]):
        detail = await ui_ctx.services.incidents.get(ui_ctx.actor, incident_id)
        await ui_ctx.services.incidents.close(
            ui_ctx.actor, incident_id, detail.version, "nothing_found"
        )
    server = [r.id for r in await ui_ctx.services.incidents.page(ui_ctx.actor, model.query, 0, 10)]
    assert server[-2:] == [ids[5], ids[0]]

    def shown() -> list[int]:
        return [row.id for r in range(model.rowCount()) if (row := model.row_at(r))]

    await wait_until(lambda: shown() == server)
    model.stop()


@pytest.mark.asyncio
async def test_count_label_is_exact_or_says_more_than(ui_ctx: UiContext, qtbot: QtBot) -> None:
    from demodata.generate import generate_demo

    await generate_demo(ui_ctx.services, Actor.cli(), incidents=1500, seed=3)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    total = await ui_ctx.services.incidents.count(ui_ctx.actor, IncidentQuery())
    assert 1500 <= total <= 10_000
    view.model.reload()
    await wait_until(lambda: view.count_label.text() == f"{total:,} Einsätze".replace(",", "."))
    # Every incident number contains "E-20": a text search counts up to 1,000.
    view.search.setText("E-20")
    view.apply_filter()
    await wait_until(lambda: view.count_label.text() == "mehr als 1.000 Einsätze, gefiltert")
    assert view.model.rowCount() == PAGE_SIZE
    number = view.model.row_at(0).number
    view.search.setText(number)
    view.apply_filter()
    await wait_until(lambda: view.count_label.text() == "1 Einsatz, gefiltert")
    assert view.model.row_at(0).number == number
    view.model.stop()


@pytest.mark.asyncio
async def test_column_headers_are_not_cut_off(ui_ctx: UiContext, qtbot: QtBot) -> None:
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    header = view.table.horizontalHeader()
    for column in range(view.model.columnCount()):
        if header.sectionResizeMode(column) == header.ResizeMode.Stretch:
            continue
        title = str(view.model.headerData(column, Qt.Orientation.Horizontal))
        assert header.sectionSize(column) >= header.fontMetrics().horizontalAdvance(title), title
    view.model.stop()


@pytest.mark.asyncio
async def test_a_stopped_queue_reads_nothing_more(
    ui_ctx: UiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    (incident_id,) = await make_incidents(ui_ctx.services, ui_ctx.actor, 1)
    model = IncidentQueueTableModel(ui_ctx)
    await model.wait_loaded()
    service = ui_ctx.services.incidents
    reads: list[object] = []
    real_rows = service.rows

    async def counting_rows(*args: object) -> object:
        reads.append(args)
        return await real_rows(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "rows", counting_rows)
    # A change arrives after a quiet spell (its flush is queued at once), then the pane closes:
    # nothing may read the database any more (it may be closed already).
    change = Change(1, datetime.now(UTC), "incident", incident_id, "update", 2, "elsewhere")
    model.on_changes(ChangeSet.of(ChangeBatch((change,))))
    model.stop()
    # A zero-delay timer queued now fires after the model's own would have; by then any read
    # it started is a pending task.
    marker: list[bool] = []
    QTimer.singleShot(0, lambda: marker.append(True))
    await wait_until(lambda: marker and not pending_tasks())
    assert reads == []


# --- defect 9: sorting, Esc in the search, a visible filter ------------------------------------


def _shown(view: IncidentQueueView) -> list[IncidentRow]:
    rows = [view.model.row_at(r) for r in range(view.model.rowCount())]
    return [r for r in rows if r is not None]


def _open_on_top(rows: list[IncidentRow]) -> bool:
    flags = [r.closed_at is None for r in rows]
    return any(flags) and not all(flags) and flags == sorted(flags, reverse=True)


@pytest.mark.asyncio
async def test_running_time_columns_really_sort_with_open_incidents_on_top(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    from demodata.generate import generate_demo

    await generate_demo(ui_ctx.services, Actor.cli(), incidents=150, seed=4)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() > 100)
    header = view.table.horizontalHeader()

    for column, start in ((COL_SINCE_CREATED, "created_at"), (COL_SINCE_DISPATCH, "dispatched_at")):
        for descending in (False, True):
            view._on_header_clicked(column)
            await wait_until(
                lambda c=column, d=descending: (
                    view.model.sort_spec.column == c
                    and view.model.sort_spec.descending == d
                    and not view.model.loading
                )
            )
            assert header.sortIndicatorSection() == column
            rows = _shown(view)
            assert _open_on_top(rows), (column, descending)
            closed = [
                r.closed_at - getattr(r, start)  # type: ignore[operator]
                for r in rows
                if r.closed_at is not None and getattr(r, start) is not None
            ]
            assert len(set(closed)) > 10
            assert closed == sorted(closed, reverse=descending), (column, descending)
            running = [getattr(r, start) for r in rows if r.closed_at is None and getattr(r, start)]
            # Running durations: the earlier the start, the longer it runs.
            assert running == sorted(running, reverse=not descending), (column, descending)
        view._on_header_clicked(column)  # third click: back to the queue order
        await wait_until(lambda: view.model.query.sort == "queue")
        assert header.sortIndicatorSection() == -1


@pytest.mark.asyncio
async def test_address_sort_keeps_open_incidents_above_the_history(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    from demodata.generate import generate_demo

    await generate_demo(ui_ctx.services, Actor.cli(), incidents=150, seed=6)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() > 100)
    view._on_header_clicked(COL_ADDRESS)
    await wait_until(lambda: view.model.query.sort == "address" and not view.model.loading)
    rows = _shown(view)
    assert _open_on_top(rows)
    for part in ([r for r in rows if r.closed_at is None], [r for r in rows if r.closed_at]):
        assert [r.address for r in part] == sorted(r.address for r in part)


@pytest.mark.asyncio
async def test_escape_in_the_search_clears_it_and_an_active_filter_is_marked(
    ui_ctx: UiContext, qtbot: QtBot
) -> None:
    await make_incidents(ui_ctx.services, ui_ctx.actor, 6)
    view = IncidentQueueView(ui_ctx)
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    view.model.reload()
    await wait_until(lambda: view.model.rowCount() == 6)
    assert "gefiltert" not in view.count_label.text()
    assert not view.search.property("filterActive")

    view.search.setFocus()
    qtbot.keyClicks(view.search, "Teststraße 5")
    await wait_until(lambda: view.model.rowCount() == 1)
    assert view.count_label.text() == "1 Einsatz, gefiltert"
    assert view.search.property("filterActive") is True
    assert view.count_label.font().bold()

    qtbot.keyClick(view.search, Qt.Key.Key_Escape)
    assert view.search.text() == ""
    await wait_until(lambda: view.model.rowCount() == 6)
    assert view.count_label.text() == "6 Einsätze"
    assert not view.search.property("filterActive")

    view.category.setCurrentIndex(view.category.findData("waste"))
    await wait_until(lambda: view.model.rowCount() == 2)
    assert view.count_label.text() == "2 Einsätze, gefiltert"
    assert view.category.property("filterActive") is True
    view.model.stop()
