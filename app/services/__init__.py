"""The service layer: Qt-free, async, permission-checked, audited.

The service graph is built here, once: :meth:`Services.create` for tools and tests,
:meth:`Services.for_workstation` for the workstation, whose incident service keeps working
through a database outage (an outbox on the workstation). Every consumer reads
``services.incidents`` and gets that same object; nobody swaps it later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.platform.database import Database
from app.platform.outbox import Outbox, outbox_path
from app.services.audit_log import AuditLogService
from app.services.field_devices import FieldDeviceService
from app.services.gazetteer import GazetteerService
from app.services.incident_api import IncidentOperations
from app.services.incident_report import IncidentReportService
from app.services.incidents import IncidentService
from app.services.link_watch import LinkWatch
from app.services.map_data import MapDataService
from app.services.map_layers import MapLayerService
from app.services.offence_cases import OffenceCaseService
from app.services.offence_catalogue import OffenceCatalogueService
from app.services.offence_export import OffenceExportService
from app.services.recording_admin import RecordingAdmin
from app.services.recordings import RecordingServices
from app.services.reports import ReportService
from app.services.resilient import ResilientIncidents
from app.services.settings import SettingsService
from app.services.shift_report import ShiftReportService
from app.services.situation import SituationService
from app.services.statistics import StatisticsService
from app.services.tasks import TaskService
from app.services.unit_admin import UnitAdminService
from app.services.units import UnitService
from app.services.users import UserService


@dataclass
class Services:
    """All services over one database."""

    db: Database
    users: UserService
    incidents: IncidentOperations
    units: UnitService
    settings: SettingsService
    gazetteer: GazetteerService
    tasks: TaskService
    reports: ReportService
    audit_log: AuditLogService
    unit_admin: UnitAdminService
    catalogue: OffenceCatalogueService
    offences: OffenceCaseService
    shift_reports: ShiftReportService
    incident_reports: IncidentReportService
    #: Figures of a month or year (and the dashboard's day and week), no personal data.
    statistics: StatisticsService
    #: Printed documents and the hand-over export of offence cases.
    offence_export: OffenceExportService
    #: Reads for the situation map.
    situation: SituationService
    #: The map's background: tile source and Stadtteil outlines (and their imports).
    map_data: MapDataService
    #: Position trails for the situation map.
    map_layers: MapLayerService
    #: Bodycam recordings: holds, upcoming deletions, evidence export, clip-access report.
    recording_admin: RecordingAdmin
    #: Bodycam recordings: lists and links at once, import and viewing once the evidence store
    #: (master key, store folder) is opened on first use.
    recordings: RecordingServices
    #: Registering and revoking the officers' field devices.
    field_devices: FieldDeviceService
    #: Whether the database link is up (the workstation's change follower feeds it).
    link: LinkWatch = field(default_factory=LinkWatch)
    #: The offline-capable incident service (the same object as ``incidents``), if composed
    #: with an outbox.
    offline: ResilientIncidents | None = None

    @classmethod
    def create(cls, db: Database, outbox: Outbox | None = None) -> Services:
        """Build every service on ``db``; with ``outbox``, incidents survive an outage."""
        link = LinkWatch()
        core = IncidentService(db)
        tasks = TaskService(db)
        offline = (
            ResilientIncidents(db, core, outbox, is_online=link.is_online)
            if outbox is not None
            else None
        )
        incidents: IncidentOperations = offline if offline is not None else core
        audit_log = AuditLogService(db)
        settings = SettingsService(db)
        return cls(
            db=db,
            users=UserService(db),
            incidents=incidents,
            units=UnitService(db),
            catalogue=OffenceCatalogueService(db),
            offences=OffenceCaseService(db),
            offence_export=OffenceExportService(db),
            settings=settings,
            gazetteer=GazetteerService(db),
            tasks=tasks,
            # Reports open incidents inside their own transaction: the core service.
            reports=ReportService(db, core, tasks),
            audit_log=audit_log,
            shift_reports=ShiftReportService(db, audit_log),
            incident_reports=IncidentReportService(db, incidents),
            statistics=StatisticsService(db),
            unit_admin=UnitAdminService(db),
            situation=SituationService(db),
            map_data=MapDataService(db, settings),
            map_layers=MapLayerService(db),
            recording_admin=RecordingAdmin.create(db),
            recordings=RecordingServices(db),
            field_devices=FieldDeviceService(db),
            link=link,
            offline=offline,
        )

    @classmethod
    def for_workstation(cls, db: Database, outbox_dir: Path | None = None) -> Services:
        """The workstation's services: the outbox file lives in the per-user data folder.

        ``outbox_dir`` overrides that folder (tests, screenshots).
        """
        return cls.create(db, Outbox.open_sync(outbox_path(db.target, outbox_dir)))

    async def close(self) -> None:
        """Close what the services hold open besides the database (the outbox file)."""
        if self.offline is not None:
            await self.offline.close_outbox()
