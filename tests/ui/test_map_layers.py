"""The map's further layers in the real page: stations and schools with toggles, a unit's
trail, the proposed units with distances, and their names shown only as text."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.domain.dto import IncidentDraft
from app.domain.geo import haversine_m
from app.domain.places import SCHOOL, STATION, Place, load_schools, load_stations
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.test_map import OPLADEN, WIESDORF, js, show_map, wait_for_page
from ui.context import UiContext
from ui.views.map import MapPane
from ui.views.map.layers import MapLayers

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]

STATIONS, SCHOOLS, TRAILS, PROPOSALS = "Bahnhöfe", "Schulen", "Spuren", "Vorgeschlagene Einheiten"


async def layers(pane: MapPane) -> dict[str, Any]:
    state = await js(pane, "kodLayers.state()")
    assert isinstance(state, dict)
    return state


async def wait_for_layers(pane: MapPane, predicate: Any, timeout: float = 20.0) -> dict[str, Any]:
    """Poll the extra layers' state in the page until ``predicate(state)`` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        state = await layers(pane)
        if predicate(state):
            return state
        if loop.time() > deadline:
            raise AssertionError(f"the map's layers never reached the expected state: {state}")
        await asyncio.sleep(0.1)


async def wait_for_js(pane: MapPane, script: str, predicate: Any, timeout: float = 10.0) -> Any:
    """Poll a JavaScript expression until ``predicate(value)`` holds (labels fade out)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await js(pane, script)
        if predicate(value):
            return value
        if loop.time() > deadline:
            raise AssertionError(f"{script} stayed {value!r}")
        await asyncio.sleep(0.05)


STATION_LABELS = "document.querySelectorAll('.kod-label-station').length"


def close(pane: MapPane) -> None:
    pane.stop()
    pane.close()
    pane.deleteLater()


async def test_stations_and_schools_are_layers_the_user_can_switch_on_and_off(
    ui_ctx: UiContext,
) -> None:
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        state = await layers(pane)
        control = {row["name"]: row["checked"] for row in state["control"]}
        # Calm by default: the reference places are off, trails and proposals on.
        assert control[STATIONS] is False and control[SCHOOLS] is False
        assert control[TRAILS] is True and control[PROPOSALS] is True
        assert state["stations"] == len(load_stations()) == 6
        assert state["schools"] == len(load_schools()) == 45
        assert not state["shown"]["stations"] and not state["shown"]["schools"]
        assert await js(pane, STATION_LABELS) == 0

        # A click on the name in the layer control shows them (labels drawn for the stations).
        assert await js(pane, f"kodLayers.toggle({STATIONS!r})") is True
        state = await layers(pane)
        assert state["shown"]["stations"]
        names = await js(
            pane,
            "Array.from(document.querySelectorAll('.kod-label-station')).map(e => e.textContent)",
        )
        assert sorted(names) == sorted(s.name for s in load_stations())
        assert await js(pane, f"kodLayers.toggle({SCHOOLS!r})") is True
        assert (await layers(pane))["shown"]["schools"]
        assert await js(pane, "kodLayers.openPlace('school', 0)") is True
        popup = await js(pane, "document.querySelector('.kod-popup-school').textContent")
        assert load_schools()[0].name in popup

        # And a second click hides them again.
        assert await js(pane, f"kodLayers.toggle({STATIONS!r})") is True
        state = await layers(pane)
        assert not state["shown"]["stations"] and state["shown"]["schools"]
        await wait_for_js(pane, STATION_LABELS, lambda n: n == 0)
        legend = await js(pane, "document.querySelector('.kod-legend').textContent")
        assert STATIONS in legend and SCHOOLS in legend and "Spur der letzten Stunde" in legend
        assert pane.interceptor.blocked == []
    finally:
        close(pane)


#: Each would set ``kodPwn`` if the page ever treated a place name as HTML or script.
NASTY_STATION = "<img src=x onerror=top.kodPwn=1>Bahnhof"
NASTY_SCHOOL = "</script><script>top.kodPwn=2</script>Schule"
NASTY_DETAIL = '<b onmouseover="top.kodPwn=3">fett</b>'


async def test_station_and_school_names_are_shown_as_text_and_never_run(
    ui_ctx: UiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The shipped files hold no markup; a city's own (imported) data might.
    stations = (Place(STATION, NASTY_STATION, NASTY_DETAIL, *WIESDORF),)
    schools = (Place(SCHOOL, NASTY_SCHOOL, NASTY_DETAIL, *OPLADEN),)
    monkeypatch.setattr("ui.views.map.layers.load_stations", lambda: stations)
    monkeypatch.setattr("ui.views.map.layers.load_schools", lambda: schools)
    pane = await show_map(ui_ctx)
    try:
        await wait_for_page(pane, lambda s: s["ready"])
        assert await js(pane, f"kodLayers.toggle({STATIONS!r})") is True
        assert await js(pane, f"kodLayers.toggle({SCHOOLS!r})") is True
        label = await js(pane, "document.querySelector('.kod-label-station').textContent")
        assert label == NASTY_STATION
        assert await js(pane, "kodLayers.openPlace('station', 0)") is True
        popup = await js(pane, "document.querySelector('.kod-popup-station').textContent")
        assert popup == NASTY_STATION + NASTY_DETAIL
        assert await js(pane, "kodLayers.openPlace('school', 0)") is True
        popup = await js(pane, "document.querySelector('.kod-popup-school').textContent")
        assert popup == NASTY_SCHOOL + NASTY_DETAIL
        assert await js(pane, "document.querySelectorAll('img[src=\"x\"]').length") == 0
        bold = "Array.from(document.querySelectorAll('b')).map(e => e.textContent)"
        assert "fett" not in await js(pane, bold)
        assert await js(pane, "typeof window.kodPwn") == "undefined"
    finally:
        close(pane)


async def test_the_selected_units_trail_follows_new_positions_and_respects_retention(
    services: Services, ui_ctx: UiContext
) -> None:
    unit = await services.units.create(ADMIN, "KOD 51", home=WIESDORF)
    other = await services.units.create(ADMIN, "KOD 52", home=OPLADEN)
    actor = ui_ctx.actor
    for k in range(3):
        await services.units.report_position(actor, unit.id, 51.030 + k * 0.002, 6.995)
    await services.units.report_position(actor, other.id, 51.06, 7.0)
    expected = len((await services.map_layers.trail(actor, unit.id)).points)
    assert expected >= 3
    pane = await show_map(ui_ctx)
    trail_layers = MapLayers(pane)
    try:
        await wait_for_page(pane, lambda s: s["units"] == 2)
        assert trail_layers.toggle_trail() is False  # no unit selected yet
        trail_layers.selected_unit = unit.id
        assert trail_layers.toggle_trail() is True
        state = await wait_for_layers(pane, lambda s: s["trail"]["points"] == expected)
        assert state["trail"]["unit_id"] == unit.id
        assert state["trail"]["label"].startswith("KOD 51 · Spur seit ")
        assert state["trail"]["note"] == ""
        # A new position arrives through the change feed: the trail grows by it.
        await services.units.report_position(actor, unit.id, 51.040, 6.999)
        await wait_for_layers(pane, lambda s: s["trail"]["points"] == expected + 1)
        # The command again hides it.
        assert trail_layers.toggle_trail() is True
        await wait_for_layers(pane, lambda s: s["trail"]["unit_id"] is None)

        # With no position history kept, the map says so instead of showing a trail.
        await services.settings.set(ADMIN, "units.position_retention_hours", 0)
        await services.units.report_position(actor, unit.id, 51.041, 6.999)
        trail_layers.show_trail(unit.id)
        state = await wait_for_layers(pane, lambda s: s["trail"]["note"] != "")
        assert state["trail"]["points"] == 0
        assert "keine Positionen gespeichert" in state["trail"]["note"]
        notice = await js(pane, "document.querySelector('.kod-notice').textContent")
        assert notice == state["trail"]["note"]
    finally:
        trail_layers.stop()
        close(pane)


def german_distance(metres: float) -> str:
    if metres < 1000:
        return f"{round(metres / 10) * 10} m"
    return f"{metres / 1000:.1f} km".replace(".", ",")


async def test_a_selected_incident_shows_its_proposed_units_with_distances(
    services: Services, ui_ctx: UiContext
) -> None:
    near = (OPLADEN[0] + 0.004, OPLADEN[1])  # about 450 m north
    far = (OPLADEN[0] - 0.011, OPLADEN[1] + 0.004)  # about 1.3 km south
    a = await services.units.create(ADMIN, "KOD 61", home=far)
    b = await services.units.create(ADMIN, "KOD 62", home=near)
    busy = await services.units.create(ADMIN, "KOD 63", home=OPLADEN)
    await services.units.set_status(ui_ctx.actor, busy.id, "6")  # not available: not proposed
    incident = await services.incidents.create(
        ui_ctx.actor,
        IncidentDraft("noise", address="Kölner Straße 2", lat=OPLADEN[0], lon=OPLADEN[1]),
    )
    pane = await show_map(ui_ctx)
    proposal_layers = MapLayers(pane)
    try:
        await wait_for_page(pane, lambda s: s["units"] == 3 and s["incidents"] == 1)
        proposal_layers.show_proposals(incident.id)
        want = [
            f"KOD 62 · {german_distance(haversine_m(*OPLADEN, *near))}",
            f"KOD 61 · {german_distance(haversine_m(*OPLADEN, *far))}",
        ]
        assert want[1].endswith(",3 km") or want[1].endswith(",2 km")
        state = await wait_for_layers(pane, lambda s: s["proposals"] == want)
        labels = await js(
            pane,
            "Array.from(document.querySelectorAll('.kod-label-distance')).map(e => e.textContent)",
        )
        assert labels == want
        assert state["shown"]["proposals"]
        # The nearer unit becomes unavailable: the proposals follow the change feed.
        await services.units.set_status(ui_ctx.actor, b.id, "6")
        await wait_for_layers(pane, lambda s: s["proposals"] == want[1:])
        # Nothing selected: nothing proposed.
        proposal_layers.show_proposals(None)
        await wait_for_layers(pane, lambda s: s["proposals"] == [])
        assert a.id != b.id
    finally:
        proposal_layers.stop()
        close(pane)
