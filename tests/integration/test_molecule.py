"""The molecule scenarios (extensions/molecule): `molecule test -s in_place|parallel` runs upgrade.yml on lab
hosts with the operator autopilot on: converge, idempotence (a second run must report no change) and verify."""

from __future__ import annotations

import subprocess

import pytest

from tests.labfixture import BIN, REPO, env


@pytest.mark.parametrize("scenario", ["in_place", "parallel"])
def test_the_molecule_scenario_converges_is_idempotent_and_verifies(lab, scenario):
    proc = subprocess.run([str(BIN / "molecule"), "test", "-s", scenario], cwd=REPO, env=env(), capture_output=True,
                          text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    for action in ("converge", "idempotence", "verify"):
        assert f"{action}: Executed: Successful" in _plain(out), (action, out[-3000:])


def _plain(text: str) -> str:
    """molecule's output without its colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text).replace("\u279c", ":").replace(" : ", ": ")
