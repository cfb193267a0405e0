"""Plausible movement inside the city for the simulation: waypoints, routes, steps.

Routes go in two legs, first along one axis and then the other (as a car goes block by block),
and every leg lies inside the city boundary (checked with shapely against
:func:`app.domain.outlines.city_polygon`); where neither corner works, the route goes via the
nearest Stadtteil centre that joins both ends inside the city, else straight. Distances are
in metres in a local equirectangular frame, accurate enough for a few kilometres.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

from shapely import LineString, Point

from app.domain.geo import load_city_area, load_stadtteile
from app.domain.outlines import city_polygon

__all__ = ["Route", "inside", "random_point", "route_between", "waypoint_near"]

#: Metres per degree of latitude.
M_PER_DEG = 111_320.0

LatLon = tuple[float, float]


def _dx_m(a: LatLon, b: LatLon) -> tuple[float, float]:
    """(east, north) metres from ``a`` to ``b``."""
    k = math.cos(math.radians((a[0] + b[0]) / 2))
    return (b[1] - a[1]) * M_PER_DEG * k, (b[0] - a[0]) * M_PER_DEG


def distance_m(a: LatLon, b: LatLon) -> float:
    """Straight-line distance in metres (local frame)."""
    east, north = _dx_m(a, b)
    return math.hypot(east, north)


def inside(lat: float, lon: float) -> bool:
    """True if the point lies inside the city boundary."""
    return bool(city_polygon().contains(Point(lon, lat)))


def _leg_inside(a: LatLon, b: LatLon) -> bool:
    if a == b:
        return inside(*a)
    return bool(city_polygon().contains(LineString([(a[1], a[0]), (b[1], b[0])])))


def _path_inside(points: Sequence[LatLon]) -> bool:
    return all(_leg_inside(a, b) for a, b in itertools.pairwise(points))


def random_point(rng: random.Random) -> LatLon:
    """A random point inside the city."""
    box = load_city_area().bbox
    while True:
        lat = rng.uniform(box.min_lat, box.max_lat)
        lon = rng.uniform(box.min_lon, box.max_lon)
        if inside(lat, lon):
            return lat, lon


def waypoint_near(
    rng: random.Random, at: LatLon, near_m: float = 400, far_m: float = 1500
) -> LatLon:
    """A point ``near_m``–``far_m`` away that a route inside the city reaches."""
    for _ in range(30):
        angle = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(near_m, far_m)
        k = math.cos(math.radians(at[0]))
        lat = at[0] + dist * math.sin(angle) / M_PER_DEG
        lon = at[1] + dist * math.cos(angle) / (M_PER_DEG * k)
        if inside(lat, lon) and len(route_between(at, (lat, lon))) > 0:
            return lat, lon
    return random_point(rng)


def route_between(a: LatLon, b: LatLon) -> list[LatLon]:
    """Points after ``a`` that lead to ``b`` inside the city (``b`` last)."""
    for corner in ((a[0], b[1]), (b[0], a[1])):
        if _path_inside([a, corner, b]):
            return [corner, b]
    if _path_inside([a, b]):
        return [b]
    centres = sorted(
        ((s.centre_lat, s.centre_lon) for s in load_stadtteile()),
        key=lambda c: distance_m(a, c) + distance_m(c, b),
    )
    for c in centres:
        if _path_inside([a, c, b]):
            return [c, b]
    return [b]


class Route:
    """Where a unit drives: the points still ahead of it."""

    def __init__(self, points: Sequence[LatLon] = ()) -> None:
        self.points: list[LatLon] = list(points)

    @property
    def done(self) -> bool:
        """True once the last point is reached."""
        return not self.points

    def advance(self, at: LatLon, metres: float) -> LatLon:
        """The position after driving ``metres`` from ``at`` along the route."""
        while self.points and metres > 0:
            target = self.points[0]
            east, north = _dx_m(at, target)
            left = math.hypot(east, north)
            if left <= metres:
                at = target
                metres -= left
                self.points.pop(0)
                continue
            f = metres / left
            at = (at[0] + (target[0] - at[0]) * f, at[1] + (target[1] - at[1]) * f)
            metres = 0
        return at
