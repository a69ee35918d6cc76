"""The UI's files ship in the wheel, and every vendored script is recorded with its license."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tierwall"
WEB = PACKAGE / "web"


def test_every_template_and_static_file_is_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["tierwall"]
    files = [p.relative_to(PACKAGE).as_posix() for p in (WEB / "templates").rglob("*") if p.is_file()]
    files += [p.relative_to(PACKAGE).as_posix() for p in (WEB / "static").rglob("*") if p.is_file()]
    missing = [f for f in files if not any(fnmatch.fnmatch(f, g) for g in globs)]
    assert files and not missing, missing


def test_vendored_scripts_are_recorded_with_version_and_license():
    vendor = WEB / "static" / "vendor"
    table = (vendor / "VENDORED.md").read_text()
    scripts = sorted(p.name for p in vendor.glob("*.js"))
    assert scripts == ["cytoscape.min.js", "d3.min.js"]
    for name in scripts:
        row = next(line for line in table.splitlines() if line.startswith(f"| `{name}`"))
        license_file = re.search(r"`([\w.]+\.LICENSE)`", row).group(1)
        assert (vendor / license_file).read_text().strip()
        assert re.search(r"\| \d+\.\d+\.\d+ \|", row)  # the npm version
    pages = " ".join(p.read_text() for p in (WEB / "templates").glob("*.html"))
    assert "http://" not in pages and "https://" not in pages  # nothing from a CDN
