"""Every colour and style sheet of the workstation, in one place.

A :class:`Palette` names the colours by what they mean (priority 1, overdue, closed, BOS status
4, alarm banner, read-only field, …), never by where they are used; widgets and models ask for a
role (:func:`color`, :func:`qcolor`) or for a ready style sheet (the functions below), so a
colour-blind-safe or a night palette is one more :class:`Palette`, chosen with
``KOD_PALETTE`` (``default``, ``colour_blind``) before the window is built. No other module of
``ui/`` holds a colour literal (``tests/ui/test_theme.py`` checks it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace

from PySide6.QtGui import QColor


@dataclass(frozen=True)
class StatusColours:
    """How a BOS status looks on the board: background, text, bold, flash colour."""

    background: str
    foreground: str = "#000000"
    bold: bool = False
    flash: str | None = None


def _default_status() -> dict[str, StatusColours]:
    return {
        "1": StatusColours("#b7e4b9"),
        "2": StatusColours("#dcf2dc"),
        "3": StatusColours("#fff0a0"),
        "4": StatusColours("#ffc77a"),
        "5": StatusColours("#9cc8f7", bold=True),
        "0": StatusColours("#1f5fbf", "#ffffff", bold=True, flash="#9cc8f7"),
        "6": StatusColours("#d3d3d3", "#505050"),
        "N": StatusColours("#d00000", "#ffffff", bold=True),
    }


@dataclass(frozen=True)
class Palette:
    """The colours of the workstation by meaning (CSS colour strings)."""

    name: str = "default"
    # -- text -------------------------------------------------------------------------------
    text: str = "#000000"
    text_soft: str = "#333333"  # ordinary secondary text (journal entries)
    muted: str = "#555555"  # hints, coordinates, times
    placeholder: str = "#777777"  # "nothing here" texts
    error: str = "#b00020"
    ok: str = "#1b5e20"
    connected: str = "#1b7f3b"
    warning: str = "#8a4b00"  # something to look at (pending sync, missing input)
    link: str = "#0b5cad"
    chart_bar: str = "#2f5f8f"  # bars of the dashboard's charts
    chart_background: str = "#ffffff"
    on_dark: str = "#ffffff"  # text on a dark or saturated background
    # -- rows of the queue and the lists ------------------------------------------------------
    priority_1: str = "#f8c9c4"
    priority_2: str = "#fde9b8"
    overdue: str = "#b00020"
    closed: str = "#7a7a7a"
    pending: str = "#8a4b00"  # kept on this workstation, not yet sent
    follow_up_due: str = "#fde9b8"
    out_of_service: str = "#7a7a7a"
    # -- fields and notices -----------------------------------------------------------------
    read_only_field: str = ""  # "": the window's background (follows the system's style)
    modified_field: str = "#fff8d6"
    filter_active: str = "#fff3c4"
    stale_view: str = "#eeeeee"  # a list showing data from before a connection loss
    notice_background: str = "#fff3c4"
    notice_text: str = "#4a3b00"
    notice_border: str = "#e0c050"
    chip_border: str = "#bbbbbb"
    open_chip: str = "#dcecdc"
    closed_chip: str = "#d9d9d9"
    journal_note: str = "#e6f0fb"
    conflict_both: str = "#f8c9c4"  # changed by both: re-applying overwrites the other value
    conflict_other: str = "#fff3c4"  # changed by someone else only
    # -- units ------------------------------------------------------------------------------
    status: dict[str, StatusColours] = field(default_factory=_default_status)
    status_unknown: str = "#ffffff"
    unit_alarmed: str = "#ffe2b8"  # alarmed, not yet confirmed (3) by the unit
    # -- the situation map -----------------------------------------------------------------
    map_unit_stroke: str = "#202020"  # outline of a unit symbol
    map_emergency_ring: str = "#ff0000"  # ring around a unit in Notruf
    map_incident_stroke: str = "#4a1010"
    map_incident_fill: str = "#ffffff"  # an incident whose priority has no colour
    map_boundary: str = "#34495e"  # the city boundary
    map_stadtteil: str = "#6b7a8f"  # the approximate Stadtteil outlines
    map_station: str = "#1f4e9c"  # railway stations
    map_school: str = "#7b3f9e"  # schools
    map_trail: str = "#0b7a75"  # a unit's trail of the last hour
    map_proposal: str = "#1b5e20"  # lines from an incident to its proposed units
    map_place: str = "#c2410c"  # a place shown on request (the Tatort of an offence case)
    unit_marker: str = "#101010"  # the board's current-row frame and emergency stripe
    position_old_text: str = "#8a1c1c"  # a position older than five minutes
    proposal_available: str = "#e3f4e3"
    proposal_unavailable: str = "#6b6b6b"
    position_old: str = "#ffd58a"
    talk_request: str = "#9cc8f7"
    talk_request_urgent: str = "#1f5fbf"
    # -- alarms and banners -----------------------------------------------------------------
    alarm: tuple[str, str] = ("#d40000", "#7a0000")  # the Notruf banner's two flash phases
    alarm_accent: str = "#ffd400"  # its border, old-position mark, the alarm strip's warning
    alarm_accent_text: str = "#000000"
    alarm_button_text: str = "#b00000"
    alarm_button_disabled: str = "#f0d0d0"
    alarm_button_disabled_text: str = "#7a4a4a"
    connection_lost: str = "#8a1c1c"
    # -- the clip viewer --------------------------------------------------------------------
    video_background: str = "#000000"
    timeline_track: str = "#c8c8c8"
    timeline_played: str = "#0b5cad"
    timeline_bookmark: str = "#e69f00"  # Okabe–Ito orange: seen by everyone on blue and grey
    timeline_handle: str = "#202020"
    chain_ok: str = "#1b5e20"
    chain_broken: str = "#b00020"


#: The palette of the workstation as it ships.
DEFAULT = Palette()

#: Colour-blind safe: the Okabe–Ito colours, so that red/green never carry a meaning alone.
COLOUR_BLIND = replace(
    DEFAULT,
    name="colour_blind",
    error="#c0392b",
    ok="#006b4f",
    connected="#006b4f",
    overdue="#a3135a",
    priority_1="#f6c6a8",
    priority_2="#fbe6a6",
    status={
        **_default_status(),
        "1": StatusColours("#a6dcef"),
        "2": StatusColours("#d8eef7"),
        "3": StatusColours("#f0e442"),
        "4": StatusColours("#e69f00"),
        "N": StatusColours("#a3135a", "#ffffff", bold=True),
    },
    proposal_available="#d8eef7",
)

PALETTES: dict[str, Palette] = {p.name: p for p in (DEFAULT, COLOUR_BLIND)}

_current: list[Palette] = []


def current() -> Palette:
    """The palette in use (``KOD_PALETTE``, default ``default``)."""
    if not _current:
        _current.append(PALETTES.get(os.environ.get("KOD_PALETTE", ""), DEFAULT))
    return _current[0]


def use(palette: Palette) -> None:
    """Use ``palette`` for everything styled from now on (before the window is built)."""
    _current[:] = [palette]


def color(role: str) -> str:
    """The colour of ``role`` (a field name of :class:`Palette`) as a CSS string."""
    value = getattr(current(), role)
    if not isinstance(value, str):
        raise KeyError(role)
    return value


def qcolor(role: str) -> QColor:
    """The colour of ``role`` as a QColor."""
    return QColor(color(role))


def status_colours(code: str) -> StatusColours | None:
    """How the BOS status ``code`` looks on the board (None: unknown code)."""
    return current().status.get(code)


def roles() -> list[str]:
    """The names of every colour role (for tests and a palette editor)."""
    return [f.name for f in fields(Palette) if f.type in ("str", str) and f.name != "name"]


# -- style sheets ---------------------------------------------------------------------------


def text_style(
    role: str | None = None, *, bold: bool = False, size_px: int = 0, size_pt: int = 0
) -> str:
    """Style sheet of a label: text colour of ``role`` (None: the default), weight, size."""
    parts = []
    if role:
        parts.append(f"color: {color(role)};")
    if bold:
        parts.append("font-weight: bold;")
    if size_px:
        parts.append(f"font-size: {size_px}px;")
    if size_pt:
        parts.append(f"font-size: {size_pt}pt;")
    return " ".join(parts)


def heading_style() -> str:
    """A pane's or dialog's title line."""
    return text_style(bold=True, size_px=15)


def hint_style() -> str:
    """A line of keyboard hints under a pane or dialog."""
    return text_style("muted")


def error_style(bold: bool = False) -> str:
    """A message saying what is wrong."""
    return text_style("error", bold=bold)


def ok_style(bold: bool = False) -> str:
    """A message saying that something worked."""
    return text_style("ok", bold=bold)


def banner_style(background: str, foreground: str = "on_dark", padding: str = "6px") -> str:
    """A full-width coloured strip (connection lost, chain check result, stale data)."""
    return (
        f"background: {color(background)}; color: {color(foreground)}; font-weight: bold; "
        f"padding: {padding};"
    )


def plain_banner_style() -> str:
    """A banner line with nothing to report yet (same size as a coloured one)."""
    return "padding: 6px;"


def notice_style() -> str:
    """A framed notice inside a form (read-only reason, closed incident)."""
    p = current()
    return (
        f"background: {p.notice_background}; color: {p.notice_text}; "
        f"border: 1px solid {p.notice_border}; padding: 4px;"
    )


def field_style(role: str) -> str:
    """The background of an input (``modified_field``, ``read_only_field``, …)."""
    return f"background: {color(role)};"


def chip_style(background: str | None, foreground: str = "text", border: bool = False) -> str:
    """A small rounded label (incident status and priority in the detail header)."""
    edge = f" border: 1px solid {color('chip_border')};" if border else ""
    fill = f" background: {color(background)};" if background else ""
    return f"padding: 1px 6px; border-radius: 3px;{edge}{fill} color: {color(foreground)}; "


def table_background_style(role: str) -> str:
    """A table whose whole background says something (stale data, filter active)."""
    return f"QTableView {{ background: {color(role)}; }}"


def html_text(role: str, text: str, bold: bool = False) -> str:
    """``text`` (already escaped) coloured for rich-text labels."""
    inner = f"<b>{text}</b>" if bold else text
    return f"<span style='color:{color(role)}'>{inner}</span>"


def html_mark_style() -> str:
    """Inline style of an old position inside the alarm banner (rich text)."""
    return f"background-color:{color('alarm_accent')}; color:{color('alarm_accent_text')};"


def emergency_banner_style(phase: int) -> str:
    """The flashing Notruf banner in flash phase 0 or 1."""
    p = current()
    return (
        f"QFrame#EmergencyBanner {{ background: {p.alarm[phase % 2]};"
        f" border-bottom: 3px solid {p.alarm_accent}; }}"
        f"QFrame#EmergencyBanner QLabel {{ color: {p.on_dark}; background: transparent; }}"
        f"QFrame#EmergencyBanner QPushButton {{ background: {p.on_dark};"
        f" color: {p.alarm_button_text}; font-weight: bold; font-size: 12pt;"
        f" padding: 2px 14px; border: 2px solid {p.alarm_accent}; border-radius: 3px; }}"
        f"QFrame#EmergencyBanner QPushButton:disabled {{ background: {p.alarm_button_disabled};"
        f" color: {p.alarm_button_disabled_text}; border-color: {p.alarm_button_disabled}; }}"
    )


def alarm_strip_style(warning: bool) -> str:
    """The strip kept free for the banner: quiet, or a warning (no alarm sound)."""
    p = current()
    if warning:
        return (
            f"QFrame#alarmStrip {{ background: {p.alarm_accent}; }}"
            f"QLabel {{ color: {p.alarm_accent_text}; font-weight: bold; }}"
        )
    return (
        "QFrame#alarmStrip { background: palette(window);"
        " border-bottom: 1px solid palette(mid); } QLabel { color: palette(mid); }"
    )


def talk_banner_style(urgent: bool) -> str:
    """The unit board's line for a request to talk (status 5, urgent: 0)."""
    p = current()
    background = p.talk_request_urgent if urgent else p.talk_request
    foreground = p.on_dark if urgent else p.text
    return f"background: {background}; color: {foreground}; font-weight: bold; padding: 4px;"


@dataclass(frozen=True)
class PrintColours:
    """Colours of printed documents: paper is white whatever palette the screen uses."""

    text: str = "#000000"
    muted: str = "#444444"  # header and footer lines, small print
    rule: str = "#808080"  # lines under the letterhead and above the footer
    table_head: str = "#e6e6e6"  # background of a table's header row
    table_border: str = "#9a9a9a"
    chart_bar: str = "#2f5f8f"  # bars of the statistics' charts (dark enough for grey print)
    chart_grid: str = "#c8c8c8"


PRINT = PrintColours()
