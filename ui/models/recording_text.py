"""How a recording is described: in the reason dialog, the viewer's header, the lists and
the clip viewer's times."""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication

from app.platform.timeutil import format_deadline, format_local, utcnow
from app.services.recording_list import RecordingRow
from ui import theme


def format_clip_time(ms: int) -> str:
    """A position as ``m:ss.ff`` (hundredths; hours in front once there are any)."""
    ms = max(0, int(ms))
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, rest = divmod(rest, 1000)
    text = f"{minutes:d}:{seconds:02d}.{rest // 10:02d}"
    return f"{hours:d}:{minutes:02d}:{seconds:02d}.{rest // 10:02d}" if hours else text


def incident_text(row: RecordingRow) -> str:
    """The linked incident, the proposed one, or none."""
    if row.incident_number:
        return row.incident_number
    if row.proposed_incident_number:
        return QCoreApplication.translate(
            "RecordingSummary", "%1 (proposed, not confirmed)"
        ).replace("%1", row.proposed_incident_number)
    return QCoreApplication.translate("RecordingSummary", "no incident")


def deletion_text(row: RecordingRow) -> str:
    """When the recording is deleted (or that a hold keeps it)."""
    if row.deletion_at is None:
        return QCoreApplication.translate("RecordingSummary", "kept (hold)")
    days = (row.deletion_at - utcnow()).total_seconds() / 86400
    when = format_deadline(row.deletion_at)
    if days < 0:
        return QCoreApplication.translate("RecordingSummary", "%1 (due)").replace("%1", when)
    if days < 2:
        return QCoreApplication.translate("RecordingSummary", "%1 (in less than 2 days)").replace(
            "%1", when
        )
    return when


def duration_text(row: RecordingRow) -> str:
    """The recording's length."""
    ms = row.duration_ms or int((row.ended_at - row.started_at).total_seconds() * 1000)
    return format_clip_time(ms).split(".")[0]


def recording_summary(row: RecordingRow, rich: bool = False) -> str:
    """Who, when, which incident, why, and when it is deleted (plain text or rich text)."""
    unit = f" ({row.unit_call_sign})" if row.unit_call_sign else ""
    first = (
        QCoreApplication.translate("RecordingSummary", "Recording no. %1 · %2%3 · camera %4")
        .replace("%1", str(row.id))
        .replace("%2", row.officer_name)
        .replace("%3", unit)
        .replace("%4", row.device_id)
    )
    second = (
        QCoreApplication.translate("RecordingSummary", "%1 to %2 (%3) · incident %4")
        .replace("%1", format_local(row.started_at, with_seconds=True))
        .replace("%2", format_local(row.ended_at, with_seconds=True).split(" ")[-1])
        .replace("%3", duration_text(row))
        .replace("%4", incident_text(row))
    )
    third = QCoreApplication.translate("RecordingSummary", "Reason for recording: %1").replace(
        "%1", row.reason
    )
    fourth = QCoreApplication.translate("RecordingSummary", "Deletion: %1").replace(
        "%1", deletion_text(row)
    )
    if not rich:
        return "\n".join((first, second, third, fourth))
    esc = html.escape
    return (
        f"<span style='{theme.heading_style()}'>{esc(first)}</span><br>{esc(second)}<br>"
        f"{esc(third)} · {theme.html_text('warning', esc(fourth))}"
    )
