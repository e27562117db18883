"""The dlt peer arms' own virtualenv (`.bench/dlt-venv`) and the scripts they run in it.

The dlt arms (`peer/dlt_arm.py`, `peer/dlt_hubspot_arm.py`) never import the
product: they run in a venv of their own, created once from
`peer/requirements.txt` with the project's uv (not timed), reused while those
requirements are unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PEER_DIR = Path(__file__).parent / "peer"
REQUIREMENTS = PEER_DIR / "requirements.txt"
DLT_VENV = ROOT / ".bench" / "dlt-venv"
UV = ROOT / ".tools" / "bin" / "uv"
# Bytecode compiled once, as `make install` does for the product's .venv: Python here
# runs with PYTHONDONTWRITEBYTECODE, and dlt compiled ~800 modules (~3.4 s CPU) per run.
INSTALL_OPTIONS = "--compile-bytecode"
# Arms that run in the dlt venv, and the script each one runs there.
DLT_SCRIPTS = {
    "dlt-arrow": "dlt_arm.py",
    "dlt-dict": "dlt_arm.py",
    "dlt-hubspot-arrow": "dlt_hubspot_arm.py",
}


def dlt_python(venv: Path = DLT_VENV, *, install: bool, log=print) -> Path | None:
    """The dlt venv's python, created from the pinned requirements when `install`.

    Reused while its requirements are unchanged (a stamp holds their hash). None when
    it is absent and `install` is off (CI never downloads dlt).
    """
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + INSTALL_OPTIONS.encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    if not install:
        return None
    log(f"creating the dlt venv {venv} from {REQUIREMENTS.name} (not timed)")
    shutil.rmtree(venv, ignore_errors=True)
    # The product's interpreter version, but none of its packages.
    base = sys.base_prefix + "/bin/python3"
    subprocess.run([str(UV), "venv", "-q", "--python", base, str(venv)], check=True)
    install = [str(UV), "pip", "install", "-q", INSTALL_OPTIONS, "--python", str(python)]
    subprocess.run([*install, "-r", str(REQUIREMENTS)], check=True)
    stamp.write_text(wanted)
    return python


def dlt_command(python_dlt: Path, arm: str, spec_path: Path) -> list[str]:
    """The command that runs a dlt `arm` on the spec at `spec_path`."""
    return [str(python_dlt), str(PEER_DIR / DLT_SCRIPTS[arm]), str(spec_path)]
