"""``kod-admin field devices …``: register, list, rotate and revoke the officers' field devices."""

from __future__ import annotations

import argparse
from typing import Any

from app.platform.i18n import tr
from app.platform.timeutil import format_local
from app.platform.uow import Actor
from app.services import Services


def add_parser(sub: Any) -> None:
    """Add the ``field`` command to ``kod-admin``'s subparsers."""
    fp = sub.add_parser("field", help=tr("cli", "Field interface (officers' devices)"))
    fps = fp.add_subparsers(dest="field_command", required=True)
    dp = fps.add_parser("devices", help=tr("cli", "Field devices and their tokens"))
    dps = dp.add_subparsers(dest="devices_command", required=True)
    add = dps.add_parser("add", help=tr("cli", "Register a device; prints its token once"))
    add.add_argument("--user", required=True, help=tr("cli", "the field officer's user name"))
    add.add_argument("--unit", required=True, help=tr("cli", 'call sign, e.g. "KOD 11"'))
    add.add_argument("--label", required=True, help=tr("cli", "name of the device"))
    lst = dps.add_parser("list", help=tr("cli", "List registered devices"))
    lst.add_argument("--all", action="store_true", help=tr("cli", "also revoked ones"))
    rot = dps.add_parser("rotate", help=tr("cli", "A new token (the old one stops at once)"))
    rot.add_argument("device", type=int)
    rev = dps.add_parser("revoke", help=tr("cli", "Revoke a device"))
    rev.add_argument("device", type=int)


async def run(args: argparse.Namespace, services: Services, actor: Actor) -> int:
    """Carry out one ``field devices`` command."""
    devices = services.field_devices
    command = args.devices_command
    if command == "add":
        issued = await devices.register(actor, args.user, args.unit, args.label)
        print(f"{issued.device.id}\t{issued.device.username}\t{issued.device.call_sign}")
        print(issued.token)
        return 0
    if command == "rotate":
        issued = await devices.rotate(actor, args.device)
        print(issued.token)
        return 0
    if command == "revoke":
        info = await devices.revoke(actor, args.device)
        print(tr("cli", "Device %1 revoked.", info.id))
        return 0
    for d in await devices.devices(actor, include_revoked=args.all):
        seen = format_local(d.last_seen_at) if d.last_seen_at else "-"
        state = tr("cli", "revoked") if d.revoked_at else ("online" if d.connected else "-")
        print(f"{d.id}\t{d.label}\t{d.username}\t{d.call_sign}\t{seen}\t{state}")
    return 0
