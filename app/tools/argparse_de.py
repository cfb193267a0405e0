"""argparse in the UI language: usage line, headings and error messages from the catalogue.

argparse looks its own texts up through ``gettext`` at the moment it needs them; pointing that
lookup at our catalogue makes ``--help`` and argument errors of ``kod-admin`` and
``kod-leitstelle`` German like the rest (texts of other Python versions stay English).
"""

from __future__ import annotations

import argparse

from app.platform.appinfo import app_version
from app.platform.i18n import QT_TRANSLATE_NOOP as N_
from app.platform.i18n import tr

CONTEXT = "argparse"

#: argparse's own texts (Python 3.11 to 3.13), listed so the catalogue carries them.
MESSAGES = (
    N_("argparse", "usage: "),
    N_("argparse", "options"),
    N_("argparse", "positional arguments"),
    N_("argparse", "show this help message and exit"),
    N_("argparse", "%(prog)s: error: %(message)s\n"),
    N_("argparse", "unrecognized arguments: %s"),
    N_("argparse", "the following arguments are required: %s"),
    N_("argparse", "expected one argument"),
    N_("argparse", "expected at least one argument"),
    N_("argparse", "expected at most one argument"),
    N_("argparse", "argument %(argument_name)s: %(message)s"),
    N_("argparse", "invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argparse", "invalid %(type)s value: %(value)r"),
    N_("argparse", "not allowed with argument %s"),
    N_("argparse", "ignored explicit argument %r"),
    N_("argparse", "one of the arguments %s is required"),
    N_("argparse", "ambiguous option: %(option)s could match %(matches)s"),
    N_("argparse", "unknown parser %(parser_name)r (choices: %(choices)s)"),
    N_("argparse", "expected %s argument"),
    N_("argparse", "expected %s arguments"),
)


def _gettext(message: str) -> str:
    return tr(CONTEXT, message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return tr(CONTEXT, singular if n == 1 else plural)


def use_ui_language() -> None:
    """Let argparse speak the UI language in this process (call before building a parser)."""
    setattr(argparse, "_", _gettext)  # noqa: B010 - argparse's module-level lookup function
    setattr(argparse, "ngettext", _ngettext)  # noqa: B010


def add_version_option(parser: argparse.ArgumentParser) -> None:
    """``--version``: the program's name and installed version (what IT checks after an update)."""
    parser.add_argument(
        "--version",
        action="version",
        version=f"{parser.prog} {app_version()}",
        help=tr("argparse", "show the version and exit"),
    )
