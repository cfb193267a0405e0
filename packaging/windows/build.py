"""Build ``KOD-Leitstelle-X.Y.Z-x64.msi`` on Linux (run through ``build.sh``).

Steps: payload (payload.py), launchers (launcher.c, mingw-w64), signing of the launchers, the
WiX source (wixl-heat for the files, wxs.py for the product), wixl, signing of the MSI. Writes
``<out>/KOD-Leitstelle-X.Y.Z-x64.msi`` and a ``.json`` beside it (version, size, file count,
VLC runtime, signed or not, SHA-256, timings).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import payload
import wxs
from payload import HERE, ROOT, log, sha256_of

#: Launchers: name -> (Python runtime, GUI subsystem). The entry point comes from pyproject's
#: [project.scripts]; kod-field-api is built once pyproject declares it.
LAUNCHERS = {
    "kod-leitstelle": ("pythonw.exe", True),
    "kod-admin": ("python.exe", False),
    "kod-field-api": ("python.exe", False),
}
REQUIRED_LAUNCHERS = ("kod-leitstelle", "kod-admin")
ENTRY = re.compile(r"^([\w.]+):(\w+)$")


def launcher_code(name: str, entry: str) -> str:
    match = ENTRY.match(entry)
    if not match:
        raise SystemExit(f"entry point {entry!r} of {name} is not module:function")
    module, func = match.groups()
    return f"import sys; sys.argv[0] = '{name}'; from {module} import {func}; sys.exit({func}())"


def build_launchers(dest: Path) -> list[str]:
    scripts = payload.pyproject()["project"]["scripts"]
    built = []
    for name, (python, gui) in LAUNCHERS.items():
        if name not in scripts:
            if name in REQUIRED_LAUNCHERS:
                raise SystemExit(f"pyproject.toml declares no script {name}")
            log(f"{name}.exe: not built (pyproject.toml declares no script {name} yet)")
            continue
        cmd = [
            "x86_64-w64-mingw32-gcc", "-O2", "-s", "-municode", "-static",
            "-mwindows" if gui else "-mconsole",
            f'-DKOD_PYTHON=L"{python}"',
            f'-DKOD_CODE=L"{launcher_code(name, scripts[name])}"',
            *(["-DKOD_GUI"] if gui else []),
            str(HERE / "launcher.c"), "-o", str(dest / f"{name}.exe"),
        ]  # fmt: skip
        subprocess.run(cmd, check=True)
        built.append(name)
    return built


def signing() -> dict[str, str] | None:
    """The certificate from the environment, or None (the build is then unsigned)."""
    pfx = os.environ.get("KOD_SIGN_PKCS12", "")
    if not pfx:
        return None
    if not Path(pfx).is_file():
        raise SystemExit(f"KOD_SIGN_PKCS12={pfx}: no such file")
    return {
        "pkcs12": pfx,
        "password_file": os.environ.get("KOD_SIGN_PASSWORD_FILE", ""),
        "timestamp": os.environ.get("KOD_SIGN_TIMESTAMP_URL", ""),
    }


def sign(path: Path, cert: dict[str, str]) -> None:
    signed = path.with_name(path.name + ".signed")
    cmd = ["osslsigncode", "sign", "-pkcs12", cert["pkcs12"], "-h", "sha256"]
    cmd += ["-n", "KOD-Leitstelle"]
    if cert["password_file"]:
        cmd += ["-readpass", cert["password_file"]]
    if cert["timestamp"]:
        cmd += ["-ts", cert["timestamp"]]
    subprocess.run([*cmd, "-in", str(path), "-out", str(signed)], check=True)
    signed.replace(path)


def build_msi(work: Path, payload_dir: Path, version: str, comments: str, msi: Path) -> None:
    files = sorted(str(p.relative_to(work)) for p in payload_dir.rglob("*") if p.is_file())
    heat = subprocess.run(
        ["wixl-heat", "-p", f"{payload_dir.name}/", "--directory-ref", "INSTALLFOLDER",
         "--component-group", "Payload", "--var", "var.SourceDir", "--win64"],
        input="\n".join(files) + "\n", text=True, capture_output=True, check=True, cwd=work,
    ).stdout  # fmt: skip
    (work / "files.wxs").write_text(heat, encoding="utf-8")
    (work / "product.wxs").write_text(wxs.product_wxs(version, comments, "Payload"), "utf-8")
    msi.unlink(missing_ok=True)
    subprocess.run(
        ["wixl", "-a", "x64", "-D", f"SourceDir={payload_dir.name}", "-D", "Win64=yes",
         "-o", str(msi), "product.wxs", "files.wxs"],
        check=True, cwd=work,
    )  # fmt: skip
    # wixl has no Secure="yes": list the silent-install properties for the per-machine side.
    secure = ";".join(wxs.secure_properties())
    subprocess.run(
        ["msibuild", str(msi), "-q",
         f"UPDATE `Property` SET `Value` = '{secure}' WHERE `Property` = 'SecureCustomProperties'"],
        check=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", help="product version (default: pyproject.toml)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "windows")
    vlc = parser.add_mutually_exclusive_group()
    vlc.add_argument("--vlc-zip", type=Path, help="VLC's win64 zip (checked against vlc.json)")
    vlc.add_argument("--vlc-download", action="store_true", help="fetch VLC's zip (vlc.json)")
    args = parser.parse_args()

    version = args.version or payload.pyproject()["project"]["version"]
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise SystemExit(f"version {version!r}: an MSI needs X.Y.Z")
    out: Path = args.out.resolve()
    cache, work, dist = out / "cache", out / version, out / "dist"
    cache.mkdir(parents=True, exist_ok=True)
    dist.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work, ignore_errors=True)
    pay = work / "payload"
    pay.mkdir(parents=True)
    timings: dict[str, float] = {}

    def step(name: str, func, *a):  # type: ignore[no-untyped-def]
        start = time.monotonic()
        result = func(*a)
        timings[name] = round(time.monotonic() - start, 1)
        log(f"{name}: {timings[name]} s")
        return result

    step("python", payload.embedded_python, cache, pay / "python")
    site = pay / "python" / "Lib" / "site-packages"
    step("dependencies", payload.dependencies, cache, site)
    step("application", payload.application, version, site)
    step("compile", payload.compile_application, site)
    vlc_mode = step("vlc", payload.vlc_runtime, pay / "vlc", args.vlc_zip, args.vlc_download, cache)
    launchers = step("launchers", build_launchers, pay)

    cert = signing()
    if cert:
        for name in launchers:
            sign(pay / f"{name}.exe", cert)
    comments = f"KOD-Leitstelle {version}"
    if vlc_mode == "stand-in":
        comments += " - TESTBAU mit VLC-Platzhalter (keine Videowiedergabe), nicht fuer den Einsatz"
    msi = dist / f"KOD-Leitstelle-{version}-x64.msi"
    step("wixl", build_msi, work, pay, version, comments, msi)
    if cert:
        sign(msi, cert)

    all_files = [p for p in pay.rglob("*") if p.is_file()]
    manifest = {
        "version": version,
        "msi": msi.name,
        "msi_bytes": msi.stat().st_size,
        "msi_sha256": sha256_of(msi),
        "payload_files": len(all_files),
        "payload_bytes": sum(p.stat().st_size for p in all_files),
        "vlc_runtime": vlc_mode,
        "launchers": launchers,
        "signed": bool(cert),
        "seconds": timings,
    }
    msi.with_suffix(".json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    mb = 1024 * 1024
    log(
        f"{msi}: {manifest['msi_bytes'] / mb:.0f} MB, payload {len(all_files)} files, "
        f"{manifest['payload_bytes'] / mb:.0f} MB"
    )
    if vlc_mode == "stand-in":
        log("VLC: STAND-IN folder (no libvlc) - a test build, not for workstations")
    if not cert:
        log("UNSIGNED: no certificate given (KOD_SIGN_PKCS12); exe and MSI are not signed")


if __name__ == "__main__":
    main()
