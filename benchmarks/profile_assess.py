"""Profile: where the controller's time goes when playbooks/assess.yml assesses a fleet (default 200 hosts).

One run on a fleet lab (benchmarks/fleet.py) with two views: ansible.posix.profile_tasks (wall time per task,
workers included) and cProfile of ansible-playbook's main process (the strategy, result handling and templating
that run there; each task's worker is a forked process cProfile does not follow, which profile_tasks covers).
Also the lab server's CPU time during the run, to tell the lab's share from Ansible's. Prints Markdown.

    .venv/bin/python benchmarks/profile_assess.py [--hosts 200] [--forks 25] [--top 15]
"""

from __future__ import annotations

import argparse
import os
import pstats
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fleet import FleetLab  # noqa: E402
from lab import cli, config  # noqa: E402

TASK_LINE = re.compile(r"^(?P<task>.+?) -+ (?P<seconds>[\d.]+)s$")


def task_times(output: str) -> list[tuple[str, float]]:
    """profile_tasks' summary at the end of the output: (task, seconds), slowest first."""
    return [(m["task"].strip(), float(m["seconds"])) for m in map(TASK_LINE.match, output.splitlines()) if m]


def lab_cpu_seconds(home: Path) -> float:
    """CPU time (user + system) the fleet's lab server has used so far (its pid file, /proc: Linux)."""
    pid = int((home / "run" / cli.PID_FILE).read_text().strip())
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--forks", type=int, default=25)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)
    with FleetLab(args.hosts) as fleet, tempfile.TemporaryDirectory() as tmp:
        fleet.reset()
        stats = Path(tmp) / "main.prof"
        env = {**fleet.env, "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
               "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "100"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)  # the lab's start and reset ran as children too
        lab_before, start = lab_cpu_seconds(fleet.home), time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(stats),
                               str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/assess.yml",
                               "-f", str(args.forks)], cwd=config.REPO, env=env, capture_output=True, text=True)
        wall, lab_cpu = time.perf_counter() - start, lab_cpu_seconds(fleet.home) - lab_before
        after = resource.getrusage(resource.RUSAGE_CHILDREN)  # + ansible-playbook and its workers
        user, system = after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime
        print(f"assess.yml, {args.hosts} hosts, forks {args.forks}: {wall:.1f} s wall, exit {proc.returncode}; CPU: "
              f"Ansible {user + system:.1f} s (user {user:.1f}, system {system:.1f}), the lab server {lab_cpu:.1f} s\n")
        print("| task (profile_tasks, all hosts) | seconds |\n|---|---:|")
        for task, seconds in task_times(proc.stdout)[:args.top]:
            print(f"| {task} | {seconds:.2f} |")
        print(f"\ncProfile of ansible-playbook's main process, top {args.top} by own time:\n")
        print("| function | calls | own s | cumulative s |\n|---|---:|---:|---:|")
        profile = pstats.Stats(str(stats))
        rows = sorted(profile.stats.items(), key=lambda item: item[1][2], reverse=True)[:args.top]
        for (path, line, name), (_, calls, own, cumulative, _) in rows:
            where = f"{Path(path).name}:{line}" if line else path
            print(f"| {name} ({where}) | {calls} | {own:.2f} | {cumulative:.2f} |")
    return 0 if proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
