"""The distribution: ``python -m build`` makes a wheel and an sdist that ``twine check`` accepts, with an
SPDX license, ``py.typed`` and no tests in the wheel, and no setuptools deprecation warning."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_build_gives_a_clean_wheel_and_sdist_that_twine_accepts(tmp_path):
    source = tmp_path / "src"
    # Build from a copy of what git tracks (as a fresh clone would), not from the working directory.
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert "SetuptoolsDeprecationWarning" not in built.stdout + built.stderr
    wheels = list((tmp_path / "dist").glob("*.whl"))
    sdists = list((tmp_path / "dist").glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1

    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(wheels[0]), str(sdists[0])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        metadata = wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "airflow_provider_lms/py.typed" in names
    assert "airflow_provider_lms/sandbox/server.py" in names  # the sandbox ships: lms users run it
    assert not [n for n in names if n.startswith("tests/") or "/tests/" in n or "conftest" in n]
    assert "License-Expression: Apache-2.0" in metadata
    assert "Provides-Extra: s3" in metadata and "Provides-Extra: openlineage" in metadata
