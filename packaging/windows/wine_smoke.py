"""Install, use, upgrade, refuse a downgrade and uninstall the MSI under Wine, as IT would.

A fresh 64-bit Wine prefix each run. Silent install with a database URL and an evidence path;
``kod-admin --version``, ``kod-admin db upgrade`` (creates the database where the installer's
machine-wide setting says), a user account as user data, the workstation's ``--check``; nothing
may be written into the install folder; upgrade without properties keeps the settings and the
data; the older MSI is refused; uninstall removes program, settings and shortcuts and leaves the
database alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import wxs
from msi_tables import Check

DB_WIN = r"C:\KOD-Daten\leitstelle.sqlite"
DB_URL = "sqlite:///C:/KOD-Daten/leitstelle.sqlite"
EVIDENCE_WIN = r"C:\KOD-Daten\Beweismittel"
INSTALL_REL = "drive_c/Program Files/KOD-Leitstelle"


class Wine:
    """Runs programs in one Wine prefix; stdin is a pipe (Wine 8 refuses a file or /dev/null
    as a console program's standard input: "init_sys_streams ... Invalid handle")."""

    def __init__(self, prefix: Path, timings: dict[str, float]) -> None:
        self.prefix = prefix
        self.timings = timings
        self.env = os.environ | {
            "WINEPREFIX": str(prefix),
            "WINEARCH": "win64",
            "WINEDEBUG": "-all",
            "WINEDLLOVERRIDES": "mscoree,mshtml=",  # no Mono/Gecko installer dialogs
            "DISPLAY": os.environ.get("DISPLAY", ""),
        }

    def run(self, label: str, *args: str, stdin: str = "", timeout: float = 600) -> tuple[int, str]:
        start = time.monotonic()
        proc = subprocess.run(
            ["wine", *args],
            input=stdin or "\n",
            capture_output=True,
            text=True,
            errors="replace",
            env=self.env,
            timeout=timeout,
        )
        self.wait()
        self.timings[label] = round(time.monotonic() - start, 1)
        out = (proc.stdout + proc.stderr).replace("\r\n", "\n")
        return proc.returncode, out

    def wait(self) -> None:
        subprocess.run(["wineserver", "-w"], env=self.env, check=False, timeout=600)

    def reg(self, key: str, name: str) -> str | None:
        code, out = self.run("reg", "reg", "query", f"HKLM\\{key}", "/v", name, "/reg:64")
        if code != 0:
            return None
        for line in out.splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[0] == name:
                return parts[2].strip() if len(parts) == 3 else ""
        return None

    def path(self, windows_path: str) -> Path:
        drive, rest = windows_path.split(":", 1)
        assert drive.upper() == "C"
        return self.prefix / "drive_c" / rest.lstrip("\\").replace("\\", "/")


def _boot(wine: Wine, attempts: int = 3) -> None:
    """Create the prefix. ``wineboot --init`` now and then ends without having written
    ``drive_c/windows/system32`` (seen once in CI on a loaded machine); it is then stopped and
    tried again on a clean prefix, and after the last try the run stops with its output."""
    system32 = wine.prefix / "drive_c" / "windows" / "system32"
    out = ""
    for attempt in range(1, attempts + 1):
        code, out = wine.run("wineboot", "wineboot", "--init")
        if system32.is_dir() and (system32 / "kernel32.dll").exists():
            return
        print(f"wineboot try {attempt} left no system32 (exit {code}): {out[-600:]}", flush=True)
        subprocess.run(["wineserver", "-k"], env=wine.env, check=False, timeout=60)
        shutil.rmtree(wine.prefix, ignore_errors=True)
    raise SystemExit(f"Wine prefix could not be created after {attempts} tries: {out[-1200:]}")


def _add_bcryptprimitives(prefix: Path) -> None:
    """Give Wine 8 the bcryptprimitives.dll it lacks (see wine_bcryptprimitives.c)."""
    system32 = prefix / "drive_c" / "windows" / "system32"
    if (system32 / "bcryptprimitives.dll").exists():
        return
    subprocess.run(
        ["x86_64-w64-mingw32-gcc", "-O2", "-s", "-shared",
         str(Path(__file__).with_name("wine_bcryptprimitives.c")),
         "-o", str(system32 / "bcryptprimitives.dll"), "-ladvapi32"],
        check=True,
    )  # fmt: skip


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def _shortcuts(prefix: Path) -> list[Path]:
    return [p for p in (prefix / "drive_c").rglob("*.lnk") if p.parent.name == "KOD-Leitstelle"]


def smoke(old: Path, new: Path, old_v: str, new_v: str, prefix: Path, check: Check) -> dict:
    """The whole run; returns the timings (seconds per step)."""
    timings: dict[str, float] = {}
    shutil.rmtree(prefix, ignore_errors=True)
    wine = Wine(prefix, timings)
    _boot(wine)
    _add_bcryptprimitives(prefix)
    install = prefix / INSTALL_REL
    admin = str(install / "kod-admin.exe")
    workstation = str(install / "kod-leitstelle.exe")

    code, out = wine.run(
        "install",
        "msiexec", "/i", str(old), "/qn",
        f"KOD_DATABASE_URL={DB_URL}", f"KOD_EVIDENCE_PATH={EVIDENCE_WIN}",
    )  # fmt: skip
    check("silent install (msiexec /i /qn with properties)", code == 0, out[-400:])
    check("program files under Program Files", (install / "kod-admin.exe").exists(), "")
    check("machine-wide DatabaseUrl", wine.reg(wxs.REGISTRY_KEY, "DatabaseUrl") == DB_URL, "")
    check(
        "machine-wide EvidencePath", wine.reg(wxs.REGISTRY_KEY, "EvidencePath") == EVIDENCE_WIN, ""
    )
    check("Start-menu shortcuts", len(_shortcuts(prefix)) == 2, str(_shortcuts(prefix)))
    before = _snapshot(install)

    code, out = wine.run("kod-admin --version", admin, "--version")
    check(
        f"kod-admin.exe --version says {old_v}",
        code == 0 and f"kod-admin {old_v}" in out,
        out[-400:],
    )
    code, out = wine.run("kod-admin db upgrade", admin, "db", "upgrade")
    check(
        "kod-admin db upgrade creates the database the installer configured",
        code == 0 and wine.path(DB_WIN).exists(),
        out[-600:],
    )
    code, out = wine.run(
        "kod-admin user add", admin, "user", "add", "probe", "--role", "admin", "--password-stdin",
        stdin="Probe-Passwort-2026!\n",
    )  # fmt: skip
    check("kod-admin user add (user data)", code == 0, out[-600:])
    code, out = wine.run("kod-leitstelle --check", workstation, "--check")
    check(
        "kod-leitstelle.exe --check (all modules load, database ready, no window)",
        code == 0,
        out[-1500:],
    )
    check(
        "--check says whether bodycam video can play (libvlc)",
        "Videowiedergabe" in out and ("libvlc" in out),
        out[-400:],
    )
    after = _snapshot(install)
    changed = sorted(k for k in after.keys() | before.keys() if after.get(k) != before.get(k))
    check("nothing written into the install folder at run time", not changed, " ".join(changed[:5]))

    code, out = wine.run("upgrade", "msiexec", "/i", str(new), "/qn")
    check("upgrade to the newer build", code == 0, out[-400:])
    code, out = wine.run("kod-admin --version (new)", admin, "--version")
    check(f"upgraded kod-admin.exe says {new_v}", f"kod-admin {new_v}" in out, out[-400:])
    check(
        "upgrade keeps the machine-wide settings",
        wine.reg(wxs.REGISTRY_KEY, "DatabaseUrl") == DB_URL
        and wine.reg(wxs.REGISTRY_KEY, "EvidencePath") == EVIDENCE_WIN,
        "",
    )
    code, out = wine.run("kod-admin user list", admin, "user", "list")
    check("upgrade keeps the user data", code == 0 and "probe" in out, out[-400:])
    old_dist = list(
        (install / "python/Lib/site-packages").glob(f"kod_leitstelle-{old_v}.dist-info")
    )
    check("the old version's files are gone", not old_dist, str(old_dist))

    # Wine's msiexec logs no launch-condition text: the message itself is checked in the
    # LaunchCondition table (msi_tables.py); here the refusal and what it leaves.
    code, out = wine.run(
        "downgrade (refused)", "msiexec", "/i", str(old), "/qn", "/l*v", r"C:\downgrade.log"
    )
    log_file = prefix / "drive_c" / "downgrade.log"
    log_text = log_file.read_text(errors="replace") if log_file.exists() else ""
    _code, out2 = wine.run("kod-admin --version (after downgrade)", admin, "--version")
    check(
        "downgrade refused (WIX_DOWNGRADE_DETECTED), the newer version stays",
        code != 0 and "WIX_DOWNGRADE_DETECTED = {" in log_text and f"kod-admin {new_v}" in out2,
        f"exit {code}; {out2[-200:]}",
    )

    code, out = wine.run("uninstall", "msiexec", "/x", str(new), "/qn")
    check("uninstall", code == 0, out[-400:])
    leftovers = [p for p in install.rglob("*") if p.is_file()] if install.exists() else []
    check("program files removed", not leftovers, " ".join(str(p) for p in leftovers[:5]))
    check("machine-wide settings removed", wine.reg(wxs.REGISTRY_KEY, "DatabaseUrl") is None, "")
    check("shortcuts removed", not _shortcuts(prefix), "")
    check("database (user data) left alone", wine.path(DB_WIN).exists(), "")
    return timings
