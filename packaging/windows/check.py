"""Check the Windows installer: tables, DLL imports, and the Wine run (see wine_smoke.py).

    python packaging/windows/check.py --old build/windows/dist/KOD-Leitstelle-0.1.0-x64.msi \
        --new build/windows/dist/KOD-Leitstelle-0.1.1-x64.msi [--no-wine]

Ends with "N passed, N failed" and exits non-zero if any check failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from msi_tables import check_imports, check_tables
from wine_smoke import smoke

results: list[tuple[str, bool]] = []


def check(name: str, ok: bool, detail: str) -> None:
    results.append((name, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name}" + ("" if ok or not detail else f"\n     {detail}"))
    sys.stdout.flush()


def check_signatures(msi: Path, info: dict, ca_file: Path | None) -> None:
    """A signed build: the MSI and every launcher carry a valid Authenticode signature."""
    if not info["signed"]:
        print(f"     {msi.name}: unsigned build (no certificate given)")
        return
    payload = msi.parent.parent / info["version"] / "payload"
    for path in [msi, *(payload / f"{name}.exe" for name in info["launchers"])]:
        cmd = ["osslsigncode", "verify", "-in", str(path)]
        if ca_file:
            cmd += ["-CAfile", str(ca_file)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        check(f"signature of {path.name}", "Signature verification: ok" in out, out[-300:])


def manifest(msi: Path) -> dict:
    return json.loads(msi.with_suffix(".json").read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the earlier build")
    parser.add_argument("--new", type=Path, required=True, help="the later build")
    parser.add_argument("--no-wine", action="store_true", help="tables and imports only")
    parser.add_argument("--ca-file", type=Path, help="trust this certificate for signatures")
    parser.add_argument(
        "--prefix", type=Path, help="Wine prefix to create (default: a temporary folder)"
    )
    args = parser.parse_args()
    old, new = manifest(args.old), manifest(args.new)
    start = time.monotonic()
    for msi, info in ((args.old, old), (args.new, new)):
        print(f"== tables of {msi.name}")
        check_tables(msi, info["version"], info["payload_files"], check)
        check_signatures(msi, info, args.ca_file)
    payload = args.new.parent.parent / new["version"] / "payload"
    print(f"== DLL imports of {payload}")
    check_imports(payload, check)
    timings: dict[str, float] = {"tables+imports": round(time.monotonic() - start, 1)}
    if not args.no_wine:
        print("== Wine: install, use, upgrade, downgrade, uninstall")
        # Never inside the checkout: the prefix's drive z: links to / and anything that walks
        # the tree (setuptools' package discovery) would walk the whole file system.
        prefix = args.prefix or Path(tempfile.mkdtemp(prefix="kod-msi-wine-"))
        try:
            timings |= smoke(
                args.old.resolve(), args.new.resolve(), old["version"], new["version"],
                prefix.resolve(), check,
            )  # fmt: skip
        finally:
            if args.prefix is None:
                shutil.rmtree(prefix, ignore_errors=True)
    print("== seconds per step: " + ", ".join(f"{k} {v}" for k, v in timings.items()))
    passed = sum(ok for _name, ok in results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
