"""The service graph is built once in app/: one incident protocol, the same object for everyone."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from app.platform.database import Database
from app.services import Services
from app.services.incident_api import IncidentOperations
from app.services.incidents import IncidentService
from app.services.resilient import ResilientIncidents

ROOT = Path(__file__).resolve().parents[1]


def _public_coroutines(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and inspect.iscoroutinefunction(member)
    }


def test_protocol_names_every_public_method_of_the_service_with_its_signature() -> None:
    # create_in runs inside another service's transaction (reports): not for consumers.
    service = {k: v for k, v in _public_coroutines(IncidentService).items() if k != "create_in"}
    protocol = _public_coroutines(IncidentOperations)
    assert service == protocol
    offline = _public_coroutines(ResilientIncidents)
    for name, signature in protocol.items():
        assert offline.get(name) == signature, name


@pytest.mark.asyncio
async def test_workstation_services_share_one_offline_capable_incident_service(
    db: Database, tmp_path: Path
) -> None:
    services = Services.for_workstation(db, tmp_path)
    try:
        assert isinstance(services.incidents, ResilientIncidents)
        assert services.offline is services.incidents
        # The link state the follower will feed is the one the outbox asks.
        assert services.incidents.is_online()
        services.link.follow(lambda: False)
        assert not services.incidents.is_online() and services.incidents.must_queue()
    finally:
        await services.close()
    plain = Services.create(db)
    assert isinstance(plain.incidents, IncidentService) and plain.offline is None


def test_ui_never_replaces_a_service() -> None:
    offenders = []
    for path in sorted((ROOT / "ui").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign | ast.AugAssign):
                targets = [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and isinstance(target.value, ast.Attribute)
                    and target.value.attr == "services"
                ):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
