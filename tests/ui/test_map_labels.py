"""Labels in a small map pane: call signs, incident numbers and proposal distances give way to
each other by importance, never overlap, and come back when zoomed in.

Checked as a person sees it: the bounding rectangles of the label elements the page draws.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.dto import IncidentDraft
from app.services import Services
from tests.conftest import ADMIN
from tests.ui.test_map import OPLADEN, WIESDORF, js, wait_for_page
from tests.ui.test_map_layers import wait_for_js, wait_for_layers
from ui.context import UiContext
from ui.views.map import MapPane
from ui.views.map.layers import MapLayers

pytestmark = [pytest.mark.gui, pytest.mark.asyncio]

#: Every label element the page draws, as the screen shows it: text and rectangle (CSS px),
#: only those displayed, not hidden and inside the map's box (null while a zoom is animated).
DRAWN_LABELS = """(function () {
    var container = document.querySelector('.leaflet-container');
    if (container.classList.contains('leaflet-zoom-anim')) { return null; } // not settled yet
    var map = container.getBoundingClientRect();
    return Array.from(document.querySelectorAll('.kod-label')).filter(function (e) {
        if (!e.isConnected || e.offsetParent === null) { return false; }
        var s = getComputedStyle(e);
        if (s.visibility === 'hidden' || parseFloat(s.opacity) === 0) { return false; }
        var r = e.getBoundingClientRect();
        return r.width > 0 && r.height > 0 && r.right > map.left && r.left < map.right
            && r.bottom > map.top && r.top < map.bottom;
    }).map(function (e) {
        var r = e.getBoundingClientRect();
        return {text: e.textContent, l: r.left, t: r.top, r: r.right, b: r.bottom};
    });
})()"""


def overlaps(labels: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Pairs of drawn labels that cover each other (half a pixel of rounding allowed)."""
    found = []
    for n, a in enumerate(labels):
        for b in labels[n + 1 :]:
            if (
                a["l"] < b["r"] - 0.5
                and b["l"] < a["r"] - 0.5
                and a["t"] < b["b"] - 0.5
                and b["t"] < a["b"] - 0.5
            ):
                found.append((a["text"], b["text"]))
    return found


async def wait_for_labels(pane: MapPane, texts: set[str]) -> list[dict[str, Any]]:
    """The drawn labels once those with ``texts`` are among them."""
    labels = await wait_for_js(
        pane, DRAWN_LABELS, lambda v: v is not None and texts <= {label["text"] for label in v}
    )
    assert isinstance(labels, list)
    return labels


async def drawn(pane: MapPane) -> list[dict[str, Any]]:
    """The drawn labels once the map has settled (the same in two looks a moment apart)."""
    seen: list[Any] = [None]

    def settled(value: Any) -> bool:
        same = value is not None and value == seen[0]
        seen[0] = value
        return same

    labels = await wait_for_js(pane, DRAWN_LABELS, settled)
    assert isinstance(labels, list)
    return labels


async def test_crowded_labels_in_a_small_pane_never_overlap_and_the_important_ones_show(
    services: Services, ui_ctx: UiContext
) -> None:
    # Nine units and four incidents within some 250 m: one spot at the city's scale.
    units = [
        await services.units.create(
            ADMIN,
            f"KOD 9{n}",
            home=(WIESDORF[0] + (n % 3) * 0.0009, WIESDORF[1] + (n // 3) * 0.0012),
        )
        for n in range(9)
    ]
    await services.units.raise_emergency(ui_ctx.actor, units[4].id)
    far = await services.units.create(ADMIN, "KOD 99", home=OPLADEN)
    incidents = [
        await services.incidents.create(
            ui_ctx.actor,
            IncidentDraft(
                "noise",
                address=f"Hauptstraße {n + 1}",
                lat=WIESDORF[0] + 0.0004 + (n % 2) * 0.0009,
                lon=WIESDORF[1] + 0.0005 + (n // 2) * 0.0012,
            ),
        )
        for n in range(4)
    ]
    selected = incidents[3]
    pane = MapPane(ui_ctx)
    pane.resize(420, 300)
    pane.show()
    proposal_layers = MapLayers(pane)
    try:
        await wait_for_page(pane, lambda s: s["units"] == 10 and s["incidents"] == 4)
        # The dispatcher selects an incident: it is centred, its proposals drawn.
        pane.focus_item("incident", selected.id)
        proposal_layers.show_proposals(selected.id)
        await wait_for_layers(pane, lambda s: len(s["proposals"]) == 3)
        # The unit in Notruf and the selected incident keep their names.
        await wait_for_labels(pane, {"KOD 94", selected.number})
        labels = await drawn(pane)
        texts = {label["text"] for label in labels}
        assert {"KOD 94", selected.number} <= texts
        assert overlaps(labels) == [], labels
        # Not every name fits: some gave way.
        assert len(labels) < 9 + 4 + 3

        # Live updates elsewhere (1 Hz) change nothing here: no label blinks.
        applied = (await js(pane, "kodMap.state()"))["applied"]
        for status in ("3", "4"):
            await services.units.set_status(ui_ctx.actor, far.id, status)
            await wait_for_page(pane, lambda s, n=applied: s["applied"] > n)
            applied += 1
            again = await drawn(pane)
            assert {label["text"] for label in again} == texts
            assert overlaps(again) == []

        # Zoomed in, the crowd spreads out: names that gave way are back, still not overlapping.
        hidden = {u.call_sign for u in units} - texts
        assert hidden
        assert await js(pane, "kodMap.zoom(17)") == 17
        labels = await wait_for_js(
            pane,
            DRAWN_LABELS,
            lambda v: v is not None and len(hidden & {label["text"] for label in v}) >= 3,
        )
        assert overlaps(labels) == []
    finally:
        proposal_layers.stop()
        pane.stop()
        pane.close()
        pane.deleteLater()
