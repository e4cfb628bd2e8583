"""The installable package carries everything the service reads at run time.

The container file and a plain `pip install .` install the wheel, not the checkout: templates,
the stylesheet and the migrations must be inside it, or the review app and `init` break only
after deployment.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# what deploy/Containerfile copies before `pip install .`
CONTAINER_COPIES = ("pyproject.toml", "README.md", "LICENSE", "monitor", "storage", "notifications")


def test_wheel_has_templates_static_files_and_migrations(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for name in CONTAINER_COPIES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, source / name)
    containerfile = (ROOT / "deploy/Containerfile").read_text()
    assert all(name in containerfile for name in CONTAINER_COPIES)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
        check=True,
        capture_output=True,
    )
    [wheel] = wheels.glob("policy_monitor-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {p.name for p in (ROOT / "monitor/web/templates").glob("*.html")}
    assert {f"monitor/web/templates/{t}" for t in templates} <= names
    assert "monitor/web/static/style.css" in names
    migrations = {p.name for p in (ROOT / "storage/migrations/versions").glob("0*.py")}
    assert {f"storage/migrations/versions/{m}" for m in migrations} <= names
    assert "storage/migrations/env.py" in names
    assert not any(name.startswith("tests/") for name in names)
