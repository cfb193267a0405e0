"""The situation map under a real X display: offline, live, and showing text only as text.

Real QtWebEngine, real database, the page's own state read back with runJavaScript (a blank
page with "L is not defined" still reports loadFinished, so that is never the proof).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import Any

import pytest
from PySide6.QtCore import QUrl

from app.domain.dto import IncidentDraft
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.conftest import wait_until
from ui.context import UiContext
from ui.models.unit_board import STATUS_STYLES
from ui.views.map import MapPane
from ui.views.map.bridge import LOCAL_SCHEMES
from ui.views.map.priority import RENDERER_NICE

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]

#: Inside Leverkusen.
WIESDORF = (51.0290, 6.9900)
OPLADEN = (51.0680, 7.0050)
SCHLEBUSCH = (51.0300, 7.0600)


async def js(pane: MapPane, script: str, timeout: float = 10.0) -> Any:
    """The value of a JavaScript expression in the map page (sent as JSON text)."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[Any] = loop.create_future()

    def done(value: Any) -> None:
        if not result.done():
            result.set_result(value)

    pane.run_js(f"JSON.stringify({script})", done)
    text = await asyncio.wait_for(result, timeout)
    return None if text is None else json.loads(text)


async def page_state(pane: MapPane) -> dict[str, Any]:
    state = await js(pane, "typeof kodMap === 'undefined' ? null : kodMap.state()")
    return state or {"ready": False, "units": -1, "incidents": -1, "unit_colours": {}}


async def wait_for_page(pane: MapPane, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the page's state until ``predicate(state)`` holds."""
    # A script sent while the page is still being replaced may get no answer: wait for the
    # page's own "ready" first.
    await wait_until(lambda: pane.page_ready, timeout)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        state = await page_state(pane)
        if predicate(state):
            return state
        if loop.time() > deadline:
            raise AssertionError(f"map page never reached the expected state: {state}")
        await asyncio.sleep(0.1)


async def show_map(ctx: UiContext) -> MapPane:
    pane = MapPane(ctx)
    pane.resize(900, 700)
    pane.show()
    return pane


def _is_local(url: str) -> bool:
    return QUrl(url).scheme().lower() in LOCAL_SCHEMES


async def test_the_map_loads_only_local_files_and_shows_units_and_incidents(
    services: Services, ui_ctx: UiContext
) -> None:
    for call_sign, home in (("KOD 11", WIESDORF), ("KOD 12", OPLADEN), ("KOD 13", SCHLEBUSCH)):
        await services.units.create(ADMIN, call_sign, home=home)
    await services.units.create(ADMIN, "KOD 14")  # no position: not on the map
    actor = ui_ctx.actor
    await services.incidents.create(
        actor, IncidentDraft("noise", address="Hauptstraße 1", lat=WIESDORF[0], lon=WIESDORF[1])
    )
    await services.incidents.create(
        actor, IncidentDraft("waste", address="Kölner Straße 2", lat=OPLADEN[0], lon=OPLADEN[1])
    )
    await services.incidents.create(actor, IncidentDraft("noise", address="ohne Koordinaten"))
    pane = await show_map(ui_ctx)
    try:
        state = await wait_for_page(pane, lambda s: s["ready"] and s["units"] == 3)
        assert state["incidents"] == 2
        assert await js(pane, "typeof L") == "object"
        assert await js(pane, "L.version") == "1.9.4"
        # The markers are on the canvas renderer, the outlines drawn (13 Stadtteile + boundary).
        assert await js(pane, "document.querySelectorAll('canvas').length") >= 1
        labels = await js(
            pane, "Array.from(document.querySelectorAll('.kod-label-unit')).map(e => e.textContent)"
        )
        assert sorted(labels) == ["KOD 11", "KOD 12", "KOD 13"]
        stadtteile = await js(pane, "document.querySelectorAll('.kod-stadtteil').length")
        assert stadtteile == 13
        legend = await js(pane, "document.querySelector('.kod-legend').textContent")
        assert "ungefähr" in legend
        requests = pane.interceptor.requests
        assert any(r.endswith("vendor/leaflet/leaflet.js") for r in requests)
        assert any(r.endswith("map/situation.js") for r in requests)
        assert [r for r in requests if not _is_local(r)] == []
        assert pane.interceptor.blocked == []
        if sys.platform.startswith("linux"):
            # The page's renderer runs below the window's priority, in every thread.
            assert pane.view is not None
            pid = pane.view.page().renderProcessPid()
            tasks = os.listdir(f"/proc/{pid}/task")
            niceness = {os.getpriority(os.PRIO_PROCESS, int(t)) for t in tasks}
            assert min(niceness) >= RENDERER_NICE > os.getpriority(os.PRIO_PROCESS, 0)
    finally:
        pane.stop()
        pane.close()
        pane.deleteLater()


async def test_a_status_change_recolours_the_unit_without_reloading_the_page(
    services: Services, ui_ctx: UiContext
) -> None:
    unit = await services.units.create(ADMIN, "KOD 21", home=WIESDORF)
    other = await services.units.create(ADMIN, "KOD 22", home=OPLADEN)
    pane = await show_map(ui_ctx)
    sent: list[str] = []
    pane.updateSent.connect(sent.append)
    try:
        state = await wait_for_page(pane, lambda s: s["units"] == 2)
        key = str(unit.id)
        assert state["unit_colours"][key] == STATUS_STYLES[unit.status].background.name()
        await js(pane, "(window.kodLoadToken = 'same page', 1)")
        sent.clear()
        await services.units.set_status(ui_ctx.actor, unit.id, "3")
        await services.units.report_position(ui_ctx.actor, other.id, *SCHLEBUSCH)
        want = STATUS_STYLES["3"].background.name()
        state = await wait_for_page(pane, lambda s: s["unit_colours"][key] == want)
        moved = await js(pane, f"kodMap.position({other.id})")
        assert moved == pytest.approx(list(SCHLEBUSCH))
        assert await js(pane, "window.kodLoadToken") == "same page"
        # Both changes went in one update (one JavaScript call per tick), none was a reset.
        await wait_until(lambda: bool(sent))
        assert all("reset" not in json.loads(t) for t in sent)
        assert len(sent) <= 2
    finally:
        pane.stop()
        pane.close()
        pane.deleteLater()


#: The text of the open popup (a closed one may still fade out for a moment).
POPUP_TEXT = "Array.from(document.querySelectorAll('.kod-popup')).map(e => e.textContent).join('|')"

#: Each would set ``kodPwn`` if the page ever treated it as HTML or script.
PAYLOADS = {
    "call_sign": "<img src=x onerror=top.kodPwn=1>",
    "address": "</script><script>top.kodPwn=2</script>",
    "description": '<img src=x onerror="top.kodPwn=3"><b>fett</b>',
}


async def test_text_from_users_is_shown_as_text_and_never_runs(
    services: Services, ui_ctx: UiContext
) -> None:
    unit = await services.units.create(ADMIN, PAYLOADS["call_sign"], home=WIESDORF)
    incident = await services.incidents.create(
        ui_ctx.actor,
        IncidentDraft(
            "noise",
            address=PAYLOADS["address"],
            description=PAYLOADS["description"],
            lat=OPLADEN[0],
            lon=OPLADEN[1],
        ),
    )
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["units"] == 1 and s["incidents"] == 1)
        # Open both popups: their content is made from the same text.
        assert await js(pane, f"kodMap.focus('unit', {unit.id})") is True
        popup = await js(pane, POPUP_TEXT)
        assert PAYLOADS["call_sign"] in popup
        assert await js(pane, f"kodMap.focus('incident', {incident.id})") is True
        popup = await js(pane, POPUP_TEXT)
        assert PAYLOADS["address"] in popup
        assert PAYLOADS["description"] in popup
        # A live update carries the same text again.
        await services.units.set_status(ui_ctx.actor, unit.id, "3")
        want = STATUS_STYLES["3"].background.name()
        await wait_for_page(pane, lambda s: s["unit_colours"][str(unit.id)] == want)
        label = await js(pane, "document.querySelector('.kod-label-unit').textContent")
        assert label == PAYLOADS["call_sign"]
        assert await js(pane, "document.querySelectorAll('img[src=\"x\"]').length") == 0
        bold = "Array.from(document.querySelectorAll('b')).map(e => e.textContent)"
        assert "fett" not in await js(pane, bold)
        assert await js(pane, "typeof window.kodPwn") == "undefined"
    finally:
        pane.stop()
        pane.close()
        pane.deleteLater()


async def test_updates_carry_only_what_changed_and_crowded_labels_give_way(
    services: Services, ui_ctx: UiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ui.views.map.pane.LABEL_LIMIT", 2)
    units = [
        await services.units.create(ADMIN, call_sign, home=home)
        for call_sign, home in (("KOD 31", WIESDORF), ("KOD 32", OPLADEN), ("KOD 33", SCHLEBUSCH))
    ]
    pane = await show_map(ui_ctx)
    sent: list[str] = []
    pane.updateSent.connect(sent.append)
    try:
        # Three units in view, labels for at most two: the names give way to the symbols.
        state = await wait_for_page(pane, lambda s: s["units"] == 3)
        assert state["unit_labels"] is False
        sent.clear()
        moved = (WIESDORF[0] + 0.002, WIESDORF[1] + 0.003)
        await services.units.report_position(ui_ctx.actor, units[0].id, *moved)

        def moved_unit() -> dict[str, Any] | None:
            changes = [c for text in sent for c in json.loads(text).get("units", [])]
            return next((c for c in changes if c["id"] == units[0].id), None)

        await wait_until(lambda: moved_unit() is not None)
        change = moved_unit()
        # Only the position (and its age) travelled; the page keeps the rest.
        assert change is not None and change["lat"] == moved[0]
        assert "call_sign" not in change and "status" not in change
        assert await js(pane, f"kodMap.position({units[0].id})") == pytest.approx(list(moved))
        # Zoomed in on one unit, few are in view: the labels are back, with the right names.
        assert await js(pane, f"kodMap.focus('unit', {units[0].id})") is True
        state = await wait_for_page(pane, lambda s: s["unit_labels"] is True)
        labels = await js(
            pane, "Array.from(document.querySelectorAll('.kod-label-unit')).map(e => e.textContent)"
        )
        assert sorted(labels) == ["KOD 31", "KOD 32", "KOD 33"]
        popup = await js(pane, POPUP_TEXT)
        assert "KOD 31" in popup
    finally:
        pane.stop()
        pane.close()
        pane.deleteLater()


async def test_crowded_call_signs_give_way_to_each_other_and_a_notruf_label_always_shows(
    services: Services, ui_ctx: UiContext
) -> None:
    # Four units some 150 m apart (one spot at the city's scale), one far away.
    crowd = [
        await services.units.create(
            ADMIN, f"KOD 7{n}", home=(WIESDORF[0] + n * 0.0015, WIESDORF[1] + n * 0.0015)
        )
        for n in range(4)
    ]
    await services.units.create(ADMIN, "KOD 80", home=OPLADEN)
    await services.units.raise_emergency(ui_ctx.actor, crowd[3].id)
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["units"] == 5 and s["unit_labels"] is True)
        # Not every name of the crowd fits (around the symbols there is room for a few), the
        # unit in Notruf's always does; the lone unit keeps its own.
        state = await wait_for_page(pane, lambda s: 2 <= s["unit_labels_drawn"] < 5)
        assert state["unit_labels"] is True
        drawn = await js(
            pane,
            "Array.from(document.querySelectorAll('.kod-label-unit'))"
            ".filter(e => e.style.display !== 'none').map(e => e.textContent)",
        )
        assert {"KOD 73", "KOD 80"} <= set(drawn)
        assert len(drawn) < 5
        # Zoomed right in, the crowd spreads out and every name is drawn again.
        await js(pane, f"kodMap.focus('unit', {crowd[0].id})")
        assert await js(pane, "kodMap.zoom(15)") == 15
        await wait_for_page(pane, lambda s: s["unit_labels_drawn"] >= 4)
    finally:
        pane.stop()
        pane.close()
        pane.deleteLater()
