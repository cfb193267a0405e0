"""Checks of the built MSI's tables (``msiinfo``) and of the payload's DLL imports (pefile)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import wxs

Check = Callable[[str, bool, str], None]

#: DLLs every Windows 10/11 x64 has in System32 (besides the api-ms-win-*/ext-ms-* API sets).
#: d3dcompiler_47.dll ships with Windows 10 and later.
_SYSTEM = """
advapi32 authz avrt bcrypt bcryptprimitives bthprops.cpl cabinet cfgmgr32 comctl32 comdlg32
crypt32 d2d1 d3d11 d3d12 d3d9 d3dcompiler_47 dbghelp dhcpcsvc dnsapi dsound dwmapi dwrite dxgi
dxva2 evr gdi32 glu32 hid imagehlp imm32 iphlpapi kernel32 ksuser mf mfplat mfreadwrite mpr msi
msvcrt mswsock ncrypt netapi32 normaliz ntdll odbc32 ole32 oleacc oleaut32 opengl32 pdh powrprof
propsys psapi rpcrt4 secur32 setupapi shcore shell32 shlwapi uiautomationcore urlmon user32
userenv uxtheme version wininet winhttp winmm winscard winspool.drv winusb wldap32 ws2_32 wsock32
wtsapi32
"""
SYSTEM_DLLS = frozenset(_SYSTEM.split())


def table(msi: Path, name: str) -> list[dict[str, str]]:
    """The rows of one table (``msiinfo export``: names, types, key line, then rows)."""
    text = subprocess.run(
        ["msiinfo", "export", str(msi), name], check=True, capture_output=True, text=True
    ).stdout
    lines = text.replace("\r\n", "\n").split("\n")
    columns = lines[0].split("\t")
    return [dict(zip(columns, line.split("\t"), strict=False)) for line in lines[3:] if line]


def check_tables(msi: Path, version: str, payload_files: int, check: Check) -> None:
    """UpgradeCode, version, Win64 on every component, shortcuts, properties, registry."""
    props = {r["Property"]: r["Value"] for r in table(msi, "Property")}
    check("UpgradeCode fixed", props.get("UpgradeCode") == "{" + wxs.UPGRADE_CODE + "}", "")
    check("ProductVersion", props.get("ProductVersion") == version, props.get("ProductVersion", ""))
    check("per-machine (ALLUSERS=1)", props.get("ALLUSERS") == "1", "")
    secure = props.get("SecureCustomProperties", "").split(";")
    check(
        "silent-install properties are secure",
        all(p in secure for p in wxs.CONFIG_PROPERTIES),
        ";".join(secure),
    )
    suminfo = subprocess.run(
        ["msiinfo", "suminfo", str(msi)], check=True, capture_output=True, text=True
    ).stdout
    check("x64 package (Template)", "Template: x64;" in suminfo, "")

    components = table(msi, "Component")
    not64 = [c["Component"] for c in components if not int(c["Attributes"] or 0) & 256]
    check(f"Win64 on all {len(components)} components", not not64, " ".join(not64[:5]))
    files = table(msi, "File")
    check("every payload file in the File table", len(files) == payload_files, f"{len(files)}")

    dirs = {d["Directory"]: d for d in table(msi, "Directory")}
    install = dirs.get("INSTALLFOLDER", {})
    check(
        "installs under ProgramFiles64Folder",
        install.get("Directory_Parent") == "ProgramFiles64Folder",
        str(install),
    )
    upgrade = table(msi, "Upgrade")
    check(
        "major upgrade and downgrade detection",
        {r["ActionProperty"] for r in upgrade}
        >= {"WIX_UPGRADE_DETECTED", "WIX_DOWNGRADE_DETECTED"},
        "",
    )
    conditions = {r["Condition"]: r["Description"] for r in table(msi, "LaunchCondition")}
    check(
        "downgrade refused with a German message",
        conditions.get("NOT WIX_DOWNGRADE_DETECTED") == wxs.DOWNGRADE_MESSAGE,
        str(conditions),
    )
    seq = {r["Action"]: r for r in table(msi, "InstallExecuteSequence")}
    check("RemoveExistingProducts scheduled", "RemoveExistingProducts" in seq, "")
    check(
        "installed values kept on upgrade (after AppSearch)",
        all(f"Keep{v}" in seq for v in wxs.CONFIG_PROPERTIES.values())
        and int(seq["KeepDatabaseUrl"]["Sequence"]) > int(seq["AppSearch"]["Sequence"]),
        "",
    )
    file_names = {f["FileName"].split("|")[-1].lower() for f in files}
    shortcuts = {s["Shortcut"]: s for s in table(msi, "Shortcut")}
    ws = shortcuts.get("WorkstationShortcut", {})
    check(
        "Start-menu shortcut to kod-leitstelle.exe",
        ws.get("Target") == "[INSTALLFOLDER]kod-leitstelle.exe"
        and ws.get("Directory_") == "ProgramMenuDir"
        and "kod-leitstelle.exe" in file_names,
        str(ws),
    )
    adm = shortcuts.get("AdminShortcut", {})
    check(
        "Start-menu shortcut to kod-admin.exe",
        "[INSTALLFOLDER]kod-admin.exe" in adm.get("Arguments", "")
        and "kod-admin.exe" in file_names,
        str(adm),
    )
    reg = {(r["Key"].rstrip("\\"), r["Name"]): r for r in table(msi, "Registry")}
    for prop, name in wxs.CONFIG_PROPERTIES.items():
        row = reg.get((wxs.REGISTRY_KEY, name), {})
        check(
            f"{prop} written to HKLM\\{wxs.REGISTRY_KEY}\\{name}",
            row.get("Root") == "2" and row.get("Value") == f"[{prop}]",
            str(row),
        )


def check_imports(payload: Path, check: Check) -> None:
    """Every DLL imported by an exe/dll/pyd of the payload is in the payload or in Windows."""
    import pefile

    binaries = [p for p in payload.rglob("*") if p.suffix.lower() in (".exe", ".dll", ".pyd")]
    present = {p.name.lower() for p in binaries}
    missing: dict[str, list[str]] = {}
    for path in binaries:
        pe = pefile.PE(str(path), fast_load=True)
        pe.parse_data_directories(
            directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]]
        )
        for entry in getattr(pe, "DIRECTORY_ENTRY_IMPORT", []):
            dll = entry.dll.decode("ascii", "replace").lower()
            if dll in present or dll.startswith(("api-ms-win-", "ext-ms-")):
                continue
            if dll.removesuffix(".dll") in SYSTEM_DLLS:
                continue
            missing.setdefault(dll, []).append(str(path.relative_to(payload)))
        pe.close()
    detail = "; ".join(f"{dll} <- {', '.join(users[:3])}" for dll, users in missing.items())
    check(f"PE import closure of {len(binaries)} binaries", not missing, detail)
    machine_ok = all(_is_x64(p) for p in binaries)
    check("every binary is x64", machine_ok, "")


def _is_x64(path: Path) -> bool:
    import pefile

    pe = pefile.PE(str(path), fast_load=True)
    try:
        return pe.FILE_HEADER.Machine == pefile.MACHINE_TYPE["IMAGE_FILE_MACHINE_AMD64"]
    finally:
        pe.close()
