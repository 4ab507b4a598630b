"""Run a playbook as an AWX job does: ansible-runner with a private data dir (project/, env/extravars, artifacts/),
and read back what the job's output page would show (each host's results, the recap, the job's status and rc).

AWX lays out a private data dir per job: project/ is the project's checkout (here a link to the repository, so the
playbooks, roles and ansible.cfg are the ones under test), the inventory, env/extravars (the survey's answers and
the template's extra variables), and artifacts/<ident>/ that ansible-runner writes (stdout, status, rc,
job_events/). The stdout callback is ansible-runner's awx_display: every line the job prints is an event.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import ansible_runner

from lab import config
from tests.labfixture import BIN, REPO

ANSI = re.compile(r"\x1b\[[0-9;]*m")
# a job's end states as AWX shows them (ansible-runner's Runner.status)
SUCCESSFUL, FAILED = "successful", "failed"


def private_data_dir(folder: Path) -> Path:
    """An AWX-like private data dir in `folder`: project/ links to the repository under test."""
    folder.mkdir(parents=True, exist_ok=True)
    project = folder / "project"
    if not project.exists():
        project.symlink_to(REPO, target_is_directory=True)
    return folder


def job_env() -> dict[str, str]:
    """What the job's process needs besides the runner's own settings: the venv's ansible-playbook, the project's
    ansible.cfg and collection link (an execution environment has the collection installed instead), and WinRM to
    the loopback lab never through a proxy."""
    return {
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".ansible" / "collections"),
        # awx_display wraps this one (ORIGINAL_STDOUT_CALLBACK): the output a job template shows, not a test's JSON
        "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
        "ANSIBLE_NOCOLOR": "1",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    }


def run(folder: Path, playbook: str, limit: str, extravars: dict | None = None, verbosity: int = 0) -> Job:
    """Run `playbook` (relative to the project) on this lab's inventory (the pytest-xdist worker's own), as a job."""
    runner = ansible_runner.run(
        private_data_dir=str(private_data_dir(folder)), playbook=playbook,
        inventory=str(config.inventory_dir() / "hosts.yml"), limit=limit, extravars=extravars or {},
        envvars=job_env(), verbosity=verbosity or None, quiet=True, timeout=900)
    return Job(runner)


class Job:
    """A finished job: its status, rc, events and artifacts."""

    def __init__(self, runner):
        self.status, self.rc = runner.status, runner.rc
        self.events = list(runner.events)
        self.artifacts = Path(runner.config.artifact_dir)
        self.private_data_dir = Path(runner.config.private_data_dir)

    def of(self, event: str) -> list[dict]:
        return [e for e in self.events if e["event"] == event]

    def stats(self) -> dict[str, dict[str, int]]:
        """The recap as playbook_on_stats carries it: counter (ok, changed, failures, dark, skipped...) -> host -> n."""
        (stats,) = self.of("playbook_on_stats")
        data = stats["event_data"]
        return {key: data.get(key) or {} for key in ("ok", "changed", "failures", "dark", "skipped", "processed")}

    def host_results(self, event: str, task: str) -> dict[str, dict]:
        """host -> result (`res`) of the named task's `event` (runner_on_ok, runner_on_failed...); role tasks match
        by their own name."""
        found = {e["event_data"]["host"]: e["event_data"]["res"] for e in self.of(event)
                 if e["event_data"].get("task") == task}
        if not found:
            raise AssertionError(f"no {event} event for a task named {task!r}")
        return found

    def output_of(self, task: str) -> str:
        """The lines the job printed while the named task ran (what the job's output page shows under it), without
        colour codes."""
        return "\n".join(ANSI.sub("", e.get("stdout") or "") for e in self.events
                         if e.get("event_data", {}).get("task") == task)

    def stdout(self) -> str:
        return ANSI.sub("", (self.artifacts / "stdout").read_text())

    def written(self) -> dict[str, str]:
        """Every file of the private data dir but the project: the artifacts and the env/ files the runner wrote."""
        return {str(p.relative_to(self.private_data_dir)): p.read_text(errors="replace")
                for folder in ("artifacts", "env", "inventory")
                for p in sorted((self.private_data_dir / folder).rglob("*")) if p.is_file()}
