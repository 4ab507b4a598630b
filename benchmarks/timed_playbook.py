"""Run a playbook against the lab and time it (wall clock, as a user waits for it); shared by the benchmarks."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from lab import config
from tests.labfixture import env


def timed_playbook(plays: list[dict]) -> float:
    """Seconds `ansible-playbook` took for these plays; exits with its output when it fails."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=config.home(), delete=False) as fh:
        fh.write(yaml.safe_dump(plays, sort_keys=False))
    try:
        start = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), fh.name], cwd=config.REPO,
                              env={**env(), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default"},
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    finally:
        Path(fh.name).unlink()
    if proc.returncode != 0:
        raise SystemExit(f"the playbook failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed
