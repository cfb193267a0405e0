"""The WiX source of the MSI (the subset ``wixl`` understands), apart from the payload files.

The payload's files come from ``wixl-heat`` (one component per file, ``Win64="yes"``); this
module writes the product: per-machine under Program Files, the fixed UpgradeCode, the major
upgrade with its downgrade message, the Start-menu shortcuts and the machine-wide configuration
in ``HKLM\\SOFTWARE\\KOD\\KOD-Leitstelle`` that ``app.platform.machine_config`` reads.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

#: Never change: Windows Installer recognises earlier versions of the product by it.
UPGRADE_CODE = "6F1C5E2A-0B7D-4E47-9C3A-2D8B51E4A7C3"
MANUFACTURER = "KOD-Leitstelle"
PRODUCT_NAME = "KOD-Leitstelle"
REGISTRY_KEY = r"SOFTWARE\KOD\KOD-Leitstelle"
#: Public properties for a silent install, and the registry values they are written to.
CONFIG_PROPERTIES = {
    "KOD_DATABASE_URL": "DatabaseUrl",
    "KOD_EVIDENCE_PATH": "EvidencePath",
}
DOWNGRADE_MESSAGE = (
    "Eine neuere Version von KOD-Leitstelle ist bereits installiert. "
    "Eine ältere Version kann nicht darüber installiert werden."
)


def product_wxs(version: str, comments: str, files_group: str) -> str:
    """The main WiX source for ``version``; ``files_group`` is the payload's ComponentGroup."""
    a = quoteattr
    properties = []
    for prop, value in CONFIG_PROPERTIES.items():
        saved = f"SAVED_{prop}"
        properties.append(
            f"""    <Property Id="{saved}">
      <RegistrySearch Id="Search{value}" Root="HKLM" Key={a(REGISTRY_KEY)} Name="{value}"
                      Type="raw" Win64="yes"/>
    </Property>
    <CustomAction Id="Keep{value}" Property="{prop}" Value="[{saved}]"/>"""
        )
    keep = "\n".join(
        f'      <Custom Action="Keep{value}" After="AppSearch">{saved_cond(prop)}</Custom>'
        for prop, value in CONFIG_PROPERTIES.items()
    )
    reg_values = "\n".join(
        f'          <RegistryValue Name="{value}" Type="string" Value="[{prop}]"/>'
        for prop, value in CONFIG_PROPERTIES.items()
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="{PRODUCT_NAME}" Language="1031" Codepage="1252" Version="{version}"
           Manufacturer="{MANUFACTURER}" UpgradeCode="{UPGRADE_CODE}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perMachine"
             Languages="1031" SummaryCodepage="1252" Manufacturer="{MANUFACTURER}"
             Description="{PRODUCT_NAME} {version}" Comments={a(comments)}/>
    <MajorUpgrade DowngradeErrorMessage={a(DOWNGRADE_MESSAGE)}/>
    <Media Id="1" Cabinet="payload.cab" EmbedCab="yes"/>
    <Property Id="ARPNOMODIFY" Value="1"/>
    <Property Id="ARPCOMMENTS" Value={a(comments)}/>
{chr(10).join(properties)}
    <InstallExecuteSequence>
{keep}
    </InstallExecuteSequence>

    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder">
        <Directory Id="INSTALLFOLDER" Name="{PRODUCT_NAME}"/>
      </Directory>
      <Directory Id="ProgramMenuFolder">
        <Directory Id="ProgramMenuDir" Name="{PRODUCT_NAME}"/>
      </Directory>
    </Directory>

    <DirectoryRef Id="INSTALLFOLDER">
      <Component Id="MachineConfig" Guid="4B7E0F64-3C2D-4F7B-8E0A-5A1D9C6B2E11" Win64="yes">
        <RegistryKey Root="HKLM" Key={a(REGISTRY_KEY)}>
          <RegistryValue Name="Version" Type="string" Value="{version}" KeyPath="yes"/>
{reg_values}
        </RegistryKey>
      </Component>
    </DirectoryRef>

    <DirectoryRef Id="ProgramMenuDir">
      <Component Id="StartMenu" Guid="9D3A6C21-7E4B-4A0F-B1C8-3F2E6D5A9B07" Win64="yes">
        <Shortcut Id="WorkstationShortcut" Name="KOD-Leitstelle"
                  Description="Arbeitsplatz der Leitstelle des Kommunalen Ordnungsdienstes"
                  Target="[INSTALLFOLDER]kod-leitstelle.exe" WorkingDirectory="INSTALLFOLDER"/>
        <Shortcut Id="AdminShortcut" Name="KOD-Verwaltung (Eingabeaufforderung)"
                  Description="kod-admin: Datenbank, Benutzer, Einstellungen"
                  Target="[System64Folder]cmd.exe"
                  Arguments='/k "&quot;[INSTALLFOLDER]kod-admin.exe&quot; --help"'
                  WorkingDirectory="INSTALLFOLDER"/>
        <RemoveFolder Id="RemoveProgramMenuDir" On="uninstall"/>
        <RegistryValue Root="HKLM" Key={a(REGISTRY_KEY + chr(92) + "StartMenu")} Name="installed"
                       Type="integer" Value="1" KeyPath="yes"/>
      </Component>
    </DirectoryRef>

    <Feature Id="Complete" Title="{PRODUCT_NAME}" Level="1">
      <ComponentGroupRef Id="{files_group}"/>
      <ComponentRef Id="MachineConfig"/>
      <ComponentRef Id="StartMenu"/>
    </Feature>
  </Product>
</Wix>
"""


def saved_cond(prop: str) -> str:
    """Condition: keep the value of the installed version unless the command line gives one."""
    return f"SAVED_{prop} AND NOT {prop}"


def secure_properties() -> list[str]:
    """Public properties that must reach the per-machine (server) side of the install.

    wixl has no ``Secure="yes"``; the build writes this list into SecureCustomProperties.
    """
    return ["WIX_DOWNGRADE_DETECTED", "WIX_UPGRADE_DETECTED", *CONFIG_PROPERTIES]
