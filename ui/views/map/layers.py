"""The map's further layers: stations, schools, a unit's trail, proposed units with distances.

Stations and schools are reference data, sent once in the page's config
(:func:`layers_config`). A trail and the proposals depend on the selection: :class:`MapLayers`
fetches them through the services (permission-checked there), sends them in an update of the
map's channel, and fetches them again when the change feed says the unit moved or the units
around the incident changed (at most once per tick).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from app.domain.changes import ChangeSet, Entity
from app.domain.dto import UnitProposal
from app.domain.places import Place, load_schools, load_stations
from app.platform.timeutil import local
from app.services.map_layers import UnitTrail
from ui import theme
from ui.asyncutil import spawn
from ui.models.unit_proposals import format_distance

if TYPE_CHECKING:
    from ui.views.map.pane import MapPane

__all__ = ["MAP_PROPOSALS", "MapLayers", "layers_config", "proposal_label", "trail_json"]

#: The map shows this many proposed units (available ones, nearest first).
MAP_PROPOSALS = 3
#: Changes reach the trail and the proposals at most this often.
REFRESH_MS = 1000


def _places(places: tuple[Place, ...]) -> list[dict[str, Any]]:
    return [{"name": p.name, "detail": p.detail, "lat": p.lat, "lon": p.lon} for p in places]


def layers_config() -> dict[str, Any]:
    """The extra layers' part of the page config: places, colours, texts."""
    return {
        "stations": _places(load_stations()),
        "schools": _places(load_schools()),
        "colours": {
            "station": theme.color("map_station"),
            "school": theme.color("map_school"),
            "trail": theme.color("map_trail"),
            "proposal": theme.color("map_proposal"),
            "place": theme.color("map_place"),
        },
        "texts": {
            "legend": QCoreApplication.translate("MapLayers", "Legend"),
            "stations": QCoreApplication.translate("MapLayers", "Railway stations"),
            "schools": QCoreApplication.translate("MapLayers", "Schools"),
            "trails": QCoreApplication.translate("MapLayers", "Trails"),
            "proposals": QCoreApplication.translate("MapLayers", "Proposed units"),
            "trail_legend": QCoreApplication.translate("MapLayers", "Trail of the last hour"),
            "proposal_legend": QCoreApplication.translate(
                "MapLayers", "Proposed unit with distance"
            ),
        },
    }


def trail_json(trail: UnitTrail) -> dict[str, Any]:
    """What the page needs of a trail: points, a label at the newest one, or why there is none."""
    note = ""
    label = trail.call_sign
    if not trail.kept:
        note = QCoreApplication.translate(
            "MapLayers",
            "No position history is kept (setting units.position_retention_hours is 0), "
            "so %1 has no trail.",
        ).replace("%1", trail.call_sign)
    elif not trail.points:
        note = QCoreApplication.translate(
            "MapLayers", "%1 has no recorded positions in the last hour."
        ).replace("%1", trail.call_sign)
    else:
        label = (
            QCoreApplication.translate("MapLayers", "%1 · trail since %2")
            .replace("%1", trail.call_sign)
            .replace("%2", local(trail.points[0].recorded_at).strftime("%H:%M"))
        )
    return {
        "unit_id": trail.unit_id,
        "label": label,
        "points": [[p.lat, p.lon] for p in trail.points],
        "note": note,
    }


def proposal_label(p: UnitProposal) -> str:
    """``KOD 11 · 1,2 km``: call sign and distance in the user's number format."""
    return f"{p.unit.call_sign} · {format_distance(p.distance_m)}"


def map_proposals(proposals: list[UnitProposal]) -> list[UnitProposal]:
    """Of the service's proposals (available first, nearest first): the first available ones
    with a position."""
    shown = [
        p for p in proposals if p.available and p.distance_m is not None and p.unit.lat is not None
    ]
    return shown[:MAP_PROPOSALS]


class MapLayers(QObject):
    """Keeps the page's trail and proposals in step with the selection and the change feed."""

    #: The trail was sent to the page (its :class:`UnitTrail`, or None when hidden).
    trailSent = Signal(object)
    #: The proposals were sent to the page: incident id (0: hidden) and the labels.
    proposalsSent = Signal(int, list)

    def __init__(self, pane: MapPane) -> None:
        super().__init__(pane)
        self.setObjectName("mapLayers")
        self._pane = pane
        self._ctx = pane.ctx
        #: The unit selected on the board or the map (the trail command works on it).
        self.selected_unit: int | None = None
        self.trail_unit: int | None = None
        self.incident: int | None = None
        #: The place shown on request (lat, lon, label), kept across page reloads.
        self.place: tuple[float, float, str] | None = None
        self._trail_dirty = False
        self._proposals_dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)
        self._timer.start()
        self._ctx.bridge.changes.connect(self.on_changes)
        pane.bridge.page_ready.connect(self._page_ready)

    # -- what the user asks for -------------------------------------------------------------

    def toggle_trail(self) -> bool:
        """Show the selected unit's trail, or hide it if it is shown; False with no unit."""
        if self.selected_unit is None:
            return False
        if self.trail_unit == self.selected_unit:
            self.hide_trail()
        else:
            self.show_trail(self.selected_unit)
        return True

    def show_trail(self, unit_id: int) -> None:
        """Show the unit's trail of the last hour (and keep it current)."""
        self.trail_unit = unit_id
        self._trail_dirty = True
        self._refresh()

    def hide_trail(self) -> None:
        """No trail on the map."""
        self.trail_unit = None
        self._trail_dirty = False
        self._pane.send({"trail": None})
        self.trailSent.emit(None)

    def show_proposals(self, incident_id: int | None) -> None:
        """Show the units proposed for the incident (None: none)."""
        self.incident = incident_id
        self._proposals_dirty = True
        self._refresh()

    def show_place(self, lat: float, lon: float, label: str) -> None:
        """Mark a place (e.g. the Tatort of an offence case) and centre the map on it."""
        self.place = (lat, lon, label)
        self._send_place()

    def _send_place(self) -> None:
        if self.place is not None:
            lat, lon, label = self.place
            self._pane.send({"place": {"lat": lat, "lon": lon, "label": label}})

    # -- keeping up -------------------------------------------------------------------------

    def on_changes(self, changes: ChangeSet) -> None:
        """A move of the trail's unit or of any unit near the incident refreshes them."""
        units = changes.ids(Entity.UNIT)
        if changes.reload or (self.trail_unit is not None and self.trail_unit in units):
            self._trail_dirty = self.trail_unit is not None
        if changes.reload or units or self.incident in changes.ids(Entity.INCIDENT):
            self._proposals_dirty = self.incident is not None

    def _page_ready(self) -> None:
        self._trail_dirty = self.trail_unit is not None
        self._proposals_dirty = self.incident is not None
        self._send_place()
        self._refresh()

    def _refresh(self) -> None:
        if not self._pane.page_ready:
            return
        if self._trail_dirty and self.trail_unit is not None:
            self._trail_dirty = False
            spawn(self._send_trail(self.trail_unit))
        if self._proposals_dirty:
            self._proposals_dirty = False
            spawn(self._send_proposals(self.incident))

    async def _send_trail(self, unit_id: int) -> None:
        trail = await self._ctx.services.map_layers.trail(self._ctx.actor, unit_id)
        if self.trail_unit != unit_id:
            return  # another unit was asked for meanwhile
        self._pane.send({"trail": trail_json(trail)})
        self.trailSent.emit(trail)

    async def _send_proposals(self, incident_id: int | None) -> None:
        payload: dict[str, Any] | None = None
        labels: list[str] = []
        if incident_id is not None:
            services, actor = self._ctx.services, self._ctx.actor
            found = await services.situation.incidents(actor, [incident_id])
            if found:
                shown = map_proposals(await services.units.proposals(actor, incident_id))
                labels = [proposal_label(p) for p in shown]
                payload = {
                    "incident": [found[0].lat, found[0].lon],
                    "units": [
                        {"id": p.unit.id, "lat": p.unit.lat, "lon": p.unit.lon, "label": label}
                        for p, label in zip(shown, labels, strict=True)
                    ],
                }
        if self.incident != incident_id:
            return
        self._pane.send({"proposals": payload})
        self.proposalsSent.emit(incident_id or 0, labels)

    def stop(self) -> None:
        """Stop refreshing."""
        self._timer.stop()
