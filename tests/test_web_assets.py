"""The map's web assets: present as pinned, with their licence, and the page names only local files."""

from __future__ import annotations

import json
import re

from resources.paths import resource_path
from ui.views.map.page import build_page, missing_assets


def test_the_pinned_leaflet_is_in_place_with_its_licence() -> None:
    manifest = json.loads(resource_path("web", "assets.json").read_text(encoding="utf-8"))
    spec = manifest["packages"]["leaflet"]
    target = resource_path("web", "vendor", "leaflet")
    stamp = (target / ".version").read_text(encoding="ascii")
    assert stamp == f"{spec['version']} {spec['integrity']}\n"
    assert "BSD 2-Clause License" in (target / "LICENSE").read_text(encoding="utf-8")
    assert f"Leaflet {spec['version']}" in (target / "leaflet.js").read_text(encoding="utf-8")[:200]
    assert missing_assets() == []


def test_the_page_names_no_address_outside_the_package() -> None:
    html = build_page()
    urls = re.findall(r"(?:src|href)\s*=\s*[\"']([^\"']+)", html)
    assert urls, "the page loads its scripts"
    for url in urls:
        assert url.startswith("qrc:") or "://" not in url, url
    assert "http://" not in html and "https://" not in html
