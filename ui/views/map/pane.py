"""The situation map pane: units by BOS status and open incidents on an offline Leaflet map.

The web view is made the first time the pane is shown (a window whose map stays tabbed away
starts no browser engine). The page is built once (:mod:`ui.views.map.page`); after that only
JSON travels: on the page's ``ready`` everything is sent, then the change feed marks units and
incidents dirty and a 1 Hz tick sends what changed in one ``update`` (one JavaScript call).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer, QUrl, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.domain.changes import ChangeSet, Entity
from app.domain.codes import (
    DISPATCH_OVERDUE_MIN,
    category_label,
    priority_label,
    unit_status_label,
)
from app.domain.dto import UnitInfo
from app.domain.dto_map import MapIncident
from app.domain.outlines import stadtteil_outlines_geojson
from app.platform.timeutil import utcnow
from app.services.map_data import MapBackground
from ui import theme
from ui.asyncutil import spawn
from ui.context import UiContext
from ui.models.incident_queue import OVERDUE_COLOUR, PRIORITY_COLOURS
from ui.models.unit_board import STATUS_STYLES, UNKNOWN_STYLE
from ui.position_age import STALE_AFTER_S, position_age
from ui.views.map.bridge import LocalOnlyInterceptor, MapBridge
from ui.views.map.layers import layers_config
from ui.views.map.page import build_page, missing_assets, web_root
from ui.views.map.priority import lower_priority
from ui.views.map.tiles import tiles_config, use_tile_source

log = logging.getLogger(__name__)

#: Live changes reach the page at most this often.
TICK_MS = 1000
#: Longer descriptions are cut in the popup.
DESCRIPTION_CHARS = 400
#: Units turned into JSON between two returns to the event loop (keeps each slice short).
UNITS_PER_SLICE = 200
#: Call-sign labels are shown while at most this many units are in view (zoom in for more).
LABEL_LIMIT = 300
#: Changed units read from the database at once (on the window's thread: 200 units take about
#: 6 ms there, 500 about 12 ms, which showed as the longest pauses with 2,000 moving units).
UNITS_PER_READ = 200


def _ms(at: datetime | None) -> int | None:
    return None if at is None else int(at.timestamp() * 1000)


def unit_json(u: UnitInfo, now: datetime) -> dict[str, Any]:
    """What the page needs of a unit (plain values; the page shows text as text)."""
    age = position_age(u.position_at, now)
    return {
        "id": u.id,
        "call_sign": u.call_sign,
        "status": u.status,
        "status_text": f"{u.status} – {unit_status_label(u.status)}",
        "lat": u.lat,
        "lon": u.lon,
        "position_at": _ms(u.position_at),
        "position_text": QCoreApplication.translate("MapPane", "Position %1").replace(
            "%1", age.text
        ),
        "incident_number": u.incident_number,
    }


def incident_json(i: MapIncident) -> dict[str, Any]:
    """What the page needs of an incident; ``overdue_at`` is when it counts as overdue."""
    overdue_at = None
    if i.dispatched_at is None:
        limit = timedelta(minutes=DISPATCH_OVERDUE_MIN.get(i.priority, 60))
        overdue_at = _ms(i.created_at + limit)
    description = i.description
    if len(description) > DESCRIPTION_CHARS:
        description = description[:DESCRIPTION_CHARS] + "…"
    return {
        "id": i.id,
        "number": i.number,
        "priority": i.priority,
        "priority_text": priority_label(i.priority),
        "category_text": category_label(i.category),
        "address": i.address,
        "description": description,
        "lat": i.lat,
        "lon": i.lon,
        "overdue_at": overdue_at,
    }


def page_config(background: MapBackground | None = None) -> dict[str, Any]:
    """Colours, texts, label points and tiles for the page (sent once over the channel)."""
    outlines = background.outlines if background else stadtteil_outlines_geojson()
    statuses = ("1", "2", "3", "4", "5", "0", "6", "N")
    legend = [
        {"colour": STATUS_STYLES[s].background.name(), "label": f"{s} – {unit_status_label(s)}"}
        for s in statuses
        if s in STATUS_STYLES
    ]
    return {
        "status_styles": {k: {"background": v.background.name()} for k, v in STATUS_STYLES.items()},
        "unknown_style": {"background": UNKNOWN_STYLE.background.name()},
        "priority_colours": {str(k): v.name() for k, v in PRIORITY_COLOURS.items()},
        "colours": {
            "unit_stroke": theme.color("map_unit_stroke"),
            "emergency_ring": theme.color("map_emergency_ring"),
            "incident_stroke": theme.color("map_incident_stroke"),
            "incident_fill": theme.color("map_incident_fill"),
            "overdue": OVERDUE_COLOUR.name(),
        },
        "stale_ms": STALE_AFTER_S * 1000,
        "label_limit": LABEL_LIMIT,
        "stadtteile": [
            {
                "name": f["properties"]["name"],
                "lat": f["properties"]["label_lat"],
                "lon": f["properties"]["label_lon"],
            }
            for f in outlines["features"]
        ],
        "legend": legend,
        "tiles": tiles_config(background.tiles) if background else None,
        "layers": layers_config(),
        "texts": {
            "units": QCoreApplication.translate("MapPane", "Units"),
            "incidents": QCoreApplication.translate("MapPane", "Open incidents"),
            **_outline_texts(background),
        },
    }


def _outline_texts(background: MapBackground | None) -> dict[str, str]:
    if background is not None and background.official:
        return {
            "stadtteile": QCoreApplication.translate("MapPane", "Stadtteile"),
            "approximate": QCoreApplication.translate(
                "MapPane", "Stadtteil borders: official data (%1)."
            ).replace("%1", background.outline_source),
        }
    return {
        "stadtteile": QCoreApplication.translate("MapPane", "Stadtteile (approximate)"),
        "approximate": QCoreApplication.translate("MapPane", "Stadtteil borders are approximate."),
    }


class MapPane(QWidget):
    """The map dock's widget."""

    #: A symbol on the map was clicked: ``"unit"`` or ``"incident"`` and its id.
    itemSelected = Signal(str, int)
    #: One update was handed to the page (for tests and the benchmark): its JSON text.
    updateSent = Signal(str)

    def __init__(self, ctx: UiContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapPane")
        self._ctx = ctx
        self.view: QWebEngineView | None = None
        self.interceptor = LocalOnlyInterceptor(self)
        self.bridge = MapBridge(json.dumps(page_config()), self)
        self.bridge.page_ready.connect(self._on_page_ready)
        self.bridge.item_selected.connect(self.itemSelected)
        self._channel: QWebChannel | None = None
        self._page_ready = False
        #: False while the dock is tabbed behind another pane.
        self._front = True
        self._busy = False
        self._full = True
        self._dirty_units: set[int] = set()
        #: What the page has of each unit: later updates carry only the fields that changed.
        self._sent_units: dict[int, dict[str, Any]] = {}
        self._dirty_incidents: set[int] = set()
        self.now: Callable[[], datetime] = utcnow
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._notice = QLabel(self)
        self._notice.setWordWrap(True)
        self._notice.hide()
        self._layout.addWidget(self._notice)
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._on_tick)
        ctx.bridge.changes.connect(self.on_changes)

    # -- the web view ---------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # Once the window has settled: a dock shown for a moment while the layout is arranged
        # (then tabbed away) starts no browser.
        QTimer.singleShot(0, self._shown)

    def _shown(self) -> None:
        if self._front and self.isVisible():
            self.ensure_view()

    def on_dock_visibility(self, visible: bool) -> None:
        """The dock's tab came to the front (True) or went behind another (False)."""
        self._front = visible
        if visible:
            QTimer.singleShot(0, self._shown)

    def ensure_view(self) -> None:
        """Make the web view and load the page (once)."""
        if self.view is not None or self._notice.isVisible():
            return
        missing = missing_assets()
        if missing:
            self._notice.setText(
                QCoreApplication.translate(
                    "MapPane", "The map files are missing (%1). Run scripts/setup.sh."
                ).replace("%1", ", ".join(missing))
            )
            self._notice.show()
            log.error("map assets missing: %s", missing)
            return
        view = QWebEngineView(self)
        view.setObjectName("mapView")
        page = view.page()
        page.setUrlRequestInterceptor(self.interceptor)
        # The window goes first, the map's renderer a moment later (see priority.py).
        # (The first renderer's pid is not always announced: looked at after each load too.)
        page.renderProcessPidChanged.connect(lambda pid: lower_priority(int(pid)))
        page.loadFinished.connect(lambda _ok: lower_priority(int(page.renderProcessPid())))
        self._channel = QWebChannel(page)
        self._channel.registerObject("kodMap", self.bridge)
        page.setWebChannel(self._channel)
        self._layout.addWidget(view)
        self.view = view
        spawn(self._load_page(view))
        self._tick.start()

    async def _load_page(self, view: QWebEngineView) -> None:
        """Build the page with this workstation's tiles and the current outlines."""
        background: MapBackground | None = None
        try:
            background = await self._ctx.services.map_data.background()
        except Exception:
            # The map stays usable on a plain background with the approximate outlines.
            log.exception("map background not readable")
        if self.view is not view:
            return
        if background is not None:
            use_tile_source(view.page(), self.interceptor, background.tiles)
        self.bridge.set_config(json.dumps(page_config(background)))
        outlines = background.outlines if background else None
        view.setHtml(build_page(outlines), QUrl.fromLocalFile(str(web_root()) + "/"))

    def reload_background(self) -> None:
        """Build the page again with the current tiles and outlines (kept view: none yet)."""
        if self.view is None:
            return
        self._page_ready = False
        spawn(self._load_page(self.view))

    @property
    def page_ready(self) -> bool:
        """True once the page has its layers and listens to updates."""
        return self._page_ready

    def run_js(self, script: str, callback: Callable[[Any], None] | None = None) -> None:
        """Run a script in the page (tests and centring; never with user text in it)."""
        if self.view is None:
            return
        if callback is None:
            self.view.page().runJavaScript(script)
        else:
            self.view.page().runJavaScript(script, 0, callback)

    def focus_item(self, kind: str, item_id: int) -> None:
        """Centre the map on a unit or incident and open its popup."""
        if not self._page_ready:
            return
        # json.dumps makes both values JavaScript literals.
        self.run_js(f"kodMap.focus({json.dumps(kind)}, {int(item_id)})")

    def stop(self) -> None:
        """Stop the tick and stop following the change feed."""
        self._tick.stop()
        with contextlib.suppress(RuntimeError):
            self._ctx.bridge.changes.disconnect(self.on_changes)

    # -- data -----------------------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        """Mark changed units and incidents; the tick sends them."""
        if changes.ids(Entity.MAP):
            self.reload_background()
        if changes.reload:
            self._full = True
            return
        self._dirty_units.update(changes.ids(Entity.UNIT))
        self._dirty_incidents.update(changes.ids(Entity.INCIDENT))

    def _on_page_ready(self) -> None:
        self._page_ready = True
        self._full = True
        self._on_tick()

    def _on_tick(self) -> None:
        if not self._page_ready or self._busy:
            return
        if not (self._front and self.isVisible()):
            # Tabbed away: nothing is built or sent; what changed meanwhile goes when shown.
            return
        if self._full:
            self._full = False
            self._dirty_units.clear()
            self._dirty_incidents.clear()
            self._busy = True
            spawn(self._send_all(), lambda _r: self._done())
            return
        if not (self._dirty_units or self._dirty_incidents):
            return
        units, incidents = sorted(self._dirty_units), sorted(self._dirty_incidents)
        self._dirty_units.clear()
        self._dirty_incidents.clear()
        self._busy = True
        spawn(self._send_changed(units, incidents), lambda _r: self._done())

    def _done(self) -> None:
        self._busy = False

    async def _send_all(self) -> None:
        try:
            services, actor = self._ctx.services, self._ctx.actor
            units = await services.units.board(actor)
            incidents = await services.situation.open_incidents(actor)
        except BaseException:
            self._busy = False
            self._full = True
            raise
        self._sent_units.clear()
        self._emit_text(
            await self._with_unit_changes(
                {"reset": True, "incidents": [incident_json(i) for i in incidents]}, units
            )
        )

    async def _send_changed(self, unit_ids: Sequence[int], incident_ids: Sequence[int]) -> None:
        try:
            services, actor = self._ctx.services, self._ctx.actor
            units: list[UnitInfo] = []
            # A few reads of many units each (not one per unit, not one huge one that would
            # hold up the window while its rows are turned into objects).
            for start in range(0, len(unit_ids), UNITS_PER_READ):
                units += await services.units.rows(actor, unit_ids[start : start + UNITS_PER_READ])
            incidents = await services.situation.incidents(actor, incident_ids)
        except BaseException:
            self._busy = False
            self._dirty_units.update(unit_ids)
            self._dirty_incidents.update(incident_ids)
            raise
        found_units = {u.id for u in units}
        found_incidents = {i.id for i in incidents}
        removed_units = [i for i in unit_ids if i not in found_units]
        for gone in removed_units:
            self._sent_units.pop(gone, None)
        self._emit_text(
            await self._with_unit_changes(
                {
                    "removed_units": removed_units,
                    "incidents": [incident_json(i) for i in incidents],
                    "removed_incidents": [i for i in incident_ids if i not in found_incidents],
                },
                units,
            )
        )

    async def _with_unit_changes(self, payload: dict[str, Any], units: Sequence[UnitInfo]) -> str:
        """The update's JSON text: ``payload`` with each unit in full when new to the page,
        else its changed fields and id.

        Thousands of moving units a second: done in slices, each turned into JSON text on its
        own, with the event loop running between them, so that the window never waits long
        for the map. (Not in a worker thread: Python there holds the interpreter lock, and the
        window's thread waited for it longer than for a slice.)
        """
        now = self.now()
        parts: list[str] = []
        for start in range(0, len(units), UNITS_PER_SLICE):
            if start:
                await asyncio.sleep(0)
            changes = self._unit_changes(units[start : start + UNITS_PER_SLICE], now)
            if changes:
                parts.append(json.dumps(changes, ensure_ascii=False)[1:-1])
        await asyncio.sleep(0)
        rest = json.dumps(payload, ensure_ascii=False)
        units_json = '{"units": [' + ", ".join(parts) + "]"
        return units_json + (", " + rest[1:] if len(rest) > 2 else "}")

    def _unit_changes(self, units: Sequence[UnitInfo], now: datetime) -> list[dict[str, Any]]:
        """Each unit as JSON: in full when new to the page, else its changed fields and id."""
        result: list[dict[str, Any]] = []
        for u in units:
            full = unit_json(u, now)
            before = self._sent_units.get(u.id)
            self._sent_units[u.id] = full
            if before is None:
                result.append(full)
                continue
            changed = {k: v for k, v in full.items() if before.get(k) != v}
            if changed:
                changed["id"] = u.id
                result.append(changed)
        return result

    @property
    def ctx(self) -> UiContext:
        """The workstation context the pane reads through."""
        return self._ctx

    def send(self, payload: dict[str, Any]) -> None:
        """Hand a batch for the further layers (``layers.js``) to the page, if it is ready."""
        if self._page_ready:
            self._emit(payload)

    def _emit(self, payload: dict[str, Any]) -> None:
        self._emit_text(json.dumps(payload, ensure_ascii=False))

    def _emit_text(self, text: str) -> None:
        self.bridge.update.emit(text)
        self.updateSent.emit(text)
