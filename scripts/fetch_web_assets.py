#!/usr/bin/env python3
"""Fetch the situation map's web assets (Leaflet) from npm into resources/web/vendor/.

The page never loads anything from the internet: the files it needs ship with the package.
They are not kept in git; this script (run by ``scripts/setup.sh`` and before packaging)
takes each package pinned in ``resources/web/assets.json`` with ``npm pack``, checks the
tarball against the pinned sha512 integrity, and copies the listed files (with the licence)
to ``resources/web/vendor/<package>/``. A ``.version`` stamp makes a second run do nothing.

    python scripts/fetch_web_assets.py [--force]

Standard library only (runs before and without the virtualenv). Exit code 1 with a message
if npm is missing or a tarball does not match its pin.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
WEB = ROOT / "resources" / "web"
MANIFEST = WEB / "assets.json"
VENDOR = WEB / "vendor"


def _integrity(path: pathlib.Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _stamp(spec: dict[str, object]) -> str:
    return f"{spec['version']} {spec['integrity']}\n"


def _fetch(name: str, spec: dict[str, object], work: pathlib.Path) -> None:
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm not found: install it (Debian: apt-get install npm)")
    version = str(spec["version"])
    result = subprocess.run(
        [npm, "pack", f"{name}@{version}", "--json", "--pack-destination", str(work)],
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"npm pack {name}@{version} failed:\n{result.stderr.strip()}")
    filename = json.loads(result.stdout)[0]["filename"]
    tarball = work / filename
    got = _integrity(tarball)
    if got != spec["integrity"]:
        raise SystemExit(f"{name}@{version}: integrity {got} does not match the pin")
    target = VENDOR / name
    if target.exists():
        shutil.rmtree(target)
    files = spec["files"]
    assert isinstance(files, dict)
    with tarfile.open(tarball, "r:gz") as tar:
        for member_name, dest in files.items():
            member = tar.getmember(member_name)
            source = tar.extractfile(member)
            if source is None:
                raise SystemExit(f"{name}: {member_name} is not a file in the tarball")
            out = target / dest
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(source.read())
    (target / ".version").write_text(_stamp(spec), encoding="ascii")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="fetch again even if present")
    args = parser.parse_args(argv)
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for name, spec in manifest["packages"].items():
            stamp = VENDOR / name / ".version"
            if not args.force and stamp.is_file() and stamp.read_text("ascii") == _stamp(spec):
                continue
            print(f"[web-assets] {name}@{spec['version']} (npm pack)")
            _fetch(name, spec, pathlib.Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
