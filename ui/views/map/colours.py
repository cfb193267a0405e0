"""The situation map's colours besides the unit board's status colours and the queue's priority
colours (both reused as they are). One place, to move into the theme when there is one."""

from __future__ import annotations

#: Outline of a unit symbol.
UNIT_STROKE = "#202020"
#: The ring around a unit in Notruf (with the board's red fill).
EMERGENCY_RING = "#ff0000"
#: Outline of an incident symbol, and its fill when the priority has no colour.
INCIDENT_STROKE = "#4a1010"
INCIDENT_FILL = "#ffffff"
#: Lines of the city boundary and the approximate Stadtteil outlines.
BOUNDARY = "#34495e"
STADTTEIL = "#6b7a8f"
