"""The service layer: Qt-free, async, permission-checked, audited."""

from __future__ import annotations

from dataclasses import dataclass

from app.platform.database import Database
from app.services.audit_log import AuditLogService
from app.services.gazetteer import GazetteerService
from app.services.incidents import IncidentService
from app.services.reports import ReportService
from app.services.settings import SettingsService
from app.services.tasks import TaskService
from app.services.units import UnitService
from app.services.users import UserService


@dataclass
class Services:
    """All services over one database."""

    db: Database
    users: UserService
    incidents: IncidentService
    units: UnitService
    settings: SettingsService
    gazetteer: GazetteerService
    tasks: TaskService
    reports: ReportService
    audit_log: AuditLogService

    @classmethod
    def create(cls, db: Database) -> Services:
        """Build every service on ``db``."""
        incidents = IncidentService(db)
        tasks = TaskService(db)
        return cls(
            db=db,
            users=UserService(db),
            incidents=incidents,
            units=UnitService(db),
            settings=SettingsService(db),
            gazetteer=GazetteerService(db),
            tasks=tasks,
            reports=ReportService(db, incidents, tasks),
            audit_log=AuditLogService(db),
        )
