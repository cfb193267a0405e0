"""The simulation's paths: inside the city, at the speed asked for."""

from __future__ import annotations

import random

import pytest

from app.domain.geo import load_city_area
from app.domain.movement import Route, distance_m, random_point, route_between, waypoint_near


def test_routes_between_random_places_stay_inside_the_city() -> None:
    rng = random.Random(4)
    city = load_city_area()
    for _ in range(40):
        start, goal = random_point(rng), random_point(rng)
        route = Route(route_between(start, goal))
        assert route.points[-1] == goal
        at = start
        # Drive it in 10 m steps: every position on the way is inside the boundary.
        while not route.done:
            at = route.advance(at, 10.0)
            assert city.contains(*at), (start, goal, at)
        assert at == goal


def test_a_unit_covers_the_distance_of_its_speed() -> None:
    rng = random.Random(9)
    start = random_point(rng)
    goal = waypoint_near(rng, start, 2000, 3000)
    route = Route([goal])
    moved = route.advance(start, 12.5)  # 45 km/h for one second
    assert distance_m(start, moved) == pytest.approx(12.5, rel=1e-3)
    assert route.advance(moved, 10_000) == goal and route.done
