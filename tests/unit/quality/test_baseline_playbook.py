"""The naive baseline of the assessment benchmark (benchmarks/baseline/assess_naive.yml) stays runnable and reads
exactly what detection reads: its lists are the probe's request (plugins/plugin_utils/_evidence.py), so a change
to the evidence fails here until the baseline follows. About 2 s (one `ansible-playbook --syntax-check`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = ROOT / "benchmarks" / "baseline" / "assess_naive.yml"
sys.path.insert(0, str(ROOT / "plugins" / "plugin_utils"))
import _evidence  # noqa: E402


def _ps(path: str) -> str:
    return path.replace("HKLM\\", "HKLM:\\", 1)


def _vars() -> dict:
    return yaml.safe_load(PLAYBOOK.read_text())[0]["vars"]


def test_the_baseline_reads_what_the_probe_reads():
    found, request = _vars(), _evidence.build_request()
    values = [(_ps(k["path"]), n) for k in request["registry"] if k["values"] for n in k["values"]]
    assert [(v["key"], v["name"]) for v in found["naive_registry_values"]] == values
    assert found["naive_registry_keys"] == [_ps(k["path"]) for k in request["registry"] if not k["values"]]
    assert found["naive_uninstall_keys"] == [_ps(k["path"]) for k in request["registry_children"]]
    assert found["naive_services"] == request["services"]
    assert found["naive_files"] == request["files"]
    assert found["naive_text_files"] == [t["path"] for t in request["text_files"]]


def test_the_baseline_is_plain_read_only_ansible():
    play = yaml.safe_load(PLAYBOOK.read_text())[0]
    assert play["gather_facts"] is True and play["hosts"] == "windows"
    modules = {next(k for k in task if k.startswith("ansible.")) for task in play["tasks"]}
    assert modules == {"ansible.windows.win_reg_stat", "ansible.windows.win_service", "ansible.windows.win_stat",
                       "ansible.builtin.slurp", "ansible.builtin.set_fact", "ansible.builtin.debug"}
    service = next(t for t in play["tasks"] if "ansible.windows.win_service" in t)["ansible.windows.win_service"]
    assert set(service) == {"name"}  # with a state or any other option it could change the service


def test_the_baseline_passes_the_syntax_check():
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg")}
    done = subprocess.run([str(Path(sys.executable).with_name("ansible-playbook")), "--syntax-check", str(PLAYBOOK),
                           "-i", str(ROOT / "inventories" / "lab")], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
