"""Start, reset and inspect the lab from tests; run Ansible against it with machine-readable output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from lab import cli, config
from lab.twin.store import TwinStore
from lab.wsman import requestlog

REPO = config.REPO
BIN = Path(sys.executable).parent
# the sync_assess role's decision: one task for the run, its result carries every host's (sync_assess_results)
DECIDE_TASK = "Decide every host's upgrade path by Microsoft's rules and group it (once for the run)"


def env() -> dict:
    e = dict(os.environ)
    e.update({
        "PATH": f"{BIN}{os.pathsep}{e.get('PATH', '')}",
        "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        # this lab's inventory (the default one, or a pytest-xdist worker's: tests/labworkers.py)
        "ANSIBLE_INVENTORY": str(config.inventory_dir() / "hosts.yml"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
        "ANSIBLE_NOCOLOR": "1",
    })
    return e


def reports_dir() -> Path:
    """Where runs on this lab write their reports: the lab inventory's sync_report_dir (a pytest-xdist worker's own
    folder, tests/labworkers.py), else the roles' default for upgrade.yml and playbooks/, the repository's reports/."""
    inventory = yaml.safe_load((config.inventory_dir() / "hosts.yml").read_text())
    return Path(((inventory.get("all") or {}).get("vars") or {}).get("sync_report_dir") or REPO / "reports")


def latest_report_dir() -> Path:
    """The folder of the newest upgrade.yml or playbooks/ run's report on this lab (<reports>/latest)."""
    folder = reports_dir()
    return folder / os.readlink(folder / "latest")


def latest_report() -> dict:
    """report.json of the newest upgrade.yml or playbooks/ run on this lab."""
    return json.loads((latest_report_dir() / "report.json").read_text())


class Lab:
    def __init__(self):
        self.hosts = {h.name: h for h in config.load_hosts()}
        self.creds = config.load_credentials()
        self.store = TwinStore(config.state_dir(), config.PROFILES_DIR)
        self.ca = config.pki_dir() / "ca.pem"
        self.inventory = config.inventory_dir() / "hosts.yml"  # pass it with -i next to an override inventory
        self.started_here = False

    def up(self) -> None:
        if cli._pid() is None:
            rc = subprocess.run([sys.executable, "-m", "lab", "up"], cwd=REPO, env=env()).returncode
            assert rc == 0, f"the lab did not start (see {config.run_dir() / 'lab.log'})"
            self.started_here = True

    def down(self) -> None:
        if self.started_here:
            subprocess.run([sys.executable, "-m", "lab", "down"], cwd=REPO, env=env(), check=True)

    def reset(self, *hosts: str) -> None:
        """Rebuild the twins from their profiles (all hosts when none is named)."""
        subprocess.run([sys.executable, "-m", "lab", "reset", *hosts], cwd=REPO, env=env(), check=True,
                       capture_output=True)

    def digest(self, *hosts: str) -> str:
        return self.store.digest(list(hosts or self.hosts))

    def twin(self, host: str):
        return self.store.load(host)

    def edit(self, host: str, change) -> None:
        """Change a host's twin as a test scenario needs (change(twin)); the running lab sees it at once."""
        twin = self.store.load(host)
        change(twin)
        self.store.save(host, twin)

    def fault(self, host: str, kind: str, when: str | None = None, times: int = 1, **params) -> dict:
        """Inject a fault on a host (lab/twin/faults.py; `python -m lab fault`): the running lab applies it at once."""
        with self.store.session(host) as twin:
            return twin.faults.add(kind, when, times, **params)

    def faults(self, host: str) -> list[dict]:
        """The host's injected faults, each with how many times it `fired`."""
        return self.store.load(host).faults.peek()

    def clear_faults(self, host: str) -> int:
        with self.store.session(host) as twin:
            return twin.faults.clear()

    def save_state(self, folder: Path) -> None:
        """Keep every twin's state (what the lab's hosts are now) in folder, to restore it later."""
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in config.state_dir().glob("*.json"):
            shutil.copy2(path, folder / path.name)

    def restore_state(self, folder: Path) -> None:
        """Put the twins back as save_state kept them (the running lab reads them at its next request)."""
        for path in config.state_dir().glob("*.json"):
            if not (folder / path.name).exists():
                path.unlink()
        for path in folder.glob("*.json"):
            shutil.copy2(path, config.state_dir() / path.name)

    def log(self, host: str) -> list[dict]:
        return requestlog.read(config.log_dir() / f"{host}.jsonl")

    def clear_log(self, host: str) -> None:
        (config.log_dir() / f"{host}.jsonl").unlink(missing_ok=True)

    def autopilot(self, on: bool, delay: float = 1) -> None:
        """The lab's operator autopilot: does each handoff's step `delay` seconds after its note appears."""
        args = ["on", "--delay", str(delay)] if on else ["off"]
        subprocess.run([sys.executable, "-m", "lab", "autopilot", *args], cwd=REPO, env=env(), check=True,
                       capture_output=True)

    def operator(self, host: str, step: str | None = None, wrong: str | None = None) -> subprocess.CompletedProcess:
        """The lab's operator does the step of the host's newest handoff note (or the named one)."""
        return subprocess.run([sys.executable, "-m", "lab", "operator", host, *([step] if step else []),
                               *(["--wrong", wrong] if wrong else [])], cwd=REPO, env=env(), capture_output=True,
                              text=True)

    def operator_log(self) -> list[dict]:
        """What the operator and the autopilot did, one entry per note (`python -m lab log operator`)."""
        return requestlog.read(config.operator_log())

    # Ansible ---------------------------------------------------------------------------
    def playbook(self, plays: list[dict] | str, *args: str, check: bool = False,
                 environment: dict | None = None) -> PlaybookRun:
        """Run a playbook (YAML text/list, or a path relative to the repo) with the json callback; `environment`
        adds to the run's environment (e.g. ANSIBLE_LOG_PATH)."""
        if isinstance(plays, str) and plays.endswith(".yml") and (REPO / plays).exists():
            path, tmp = str(REPO / plays), None
        else:
            tmp = tempfile.NamedTemporaryFile("w", suffix=".yml", dir=REPO / ".lab", delete=False)
            tmp.write(plays if isinstance(plays, str) else yaml.safe_dump(plays, sort_keys=False))
            tmp.close()
            path = tmp.name
        cmd = [str(BIN / "ansible-playbook"), path, *args] + (["--check", "--diff"] if check else [])
        try:
            proc = subprocess.run(cmd, cwd=REPO, env={**env(), **(environment or {})}, capture_output=True, text=True,
                                  timeout=900)
        finally:
            if tmp:
                os.unlink(tmp.name)
        return PlaybookRun(proc)


class PlaybookRun:
    def __init__(self, proc: subprocess.CompletedProcess):
        self.rc = proc.returncode
        self.stdout, self.stderr = proc.stdout, proc.stderr
        try:
            self.data = json.loads(proc.stdout[proc.stdout.index("{"):])
        except ValueError as exc:
            raise AssertionError(f"ansible-playbook printed no JSON (rc {proc.returncode}):\n"
                                 f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}") from exc

    @property
    def stats(self) -> dict:
        return self.data["stats"]

    def results(self, task_name: str) -> dict[str, dict]:
        """host -> result of the named task (last play that has it); role tasks match without the role prefix."""
        found = {}
        for play in self.data["plays"]:
            for task in play["tasks"]:
                name = task["task"]["name"]
                if name == task_name or name.endswith(" : " + task_name):
                    found.update(task["hosts"])
        if not found:
            raise AssertionError(f"no task named {task_name!r} ran")
        return found

    def decided(self) -> dict[str, dict]:
        """host -> {status, cause, decision} as the assessment's decision reported it (the last play that decided)."""
        found = {}
        for result in self.results(DECIDE_TASK).values():  # run once: one host's result per play
            found.update(result["sync_assess_decisions"])
        return found

    def changed(self) -> int:
        return sum(s.get("changed", 0) for s in self.stats.values())

    def failures(self) -> dict[str, int]:
        return {h: s.get("failures", 0) + s.get("unreachable", 0) for h, s in self.stats.items()
                if s.get("failures", 0) + s.get("unreachable", 0)}
