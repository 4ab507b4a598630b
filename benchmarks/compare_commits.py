"""Before and after: playbooks/assess.yml of another commit against this checkout's, on one fleet lab, in one run.

The other commit is checked out in a temporary git worktree (its roles and plugins, its own collection link); both
playbooks assess the same fleet (benchmarks/fleet.py) from the same state, alternately, and their wall times are
printed with the ratio. The lab is this checkout's, so the comparison measures the toolkit's change alone.

    .venv/bin/python benchmarks/compare_commits.py --before dcb2f71 [--hosts 200] [--forks 25] [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.fleet import FleetLab  # noqa: E402
from lab import config  # noqa: E402


def checkout(commit: str, where: Path) -> Path:
    """A worktree of `commit` at `where`, with the collection link ansible.cfg expects."""
    subprocess.run(["git", "worktree", "add", "--detach", "-q", str(where), commit], cwd=config.REPO, check=True)
    link = where / ".ansible" / "collections" / "ansible_collections" / "entra" / "sync_upgrade"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to("../../../..", target_is_directory=True)
    return where


def timed(fleet: FleetLab, repo: Path, forks: int) -> float:
    fleet.reset()
    env = {**fleet.env, "ANSIBLE_CONFIG": str(repo / "ansible.cfg")}
    start = time.perf_counter()
    proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/assess.yml", "-f",
                           str(forks)], cwd=repo, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"assess.yml of {repo} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", required=True, help="the commit to compare this checkout with")
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--forks", type=int, default=25)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, FleetLab(args.hosts) as fleet:
        before = checkout(args.before, Path(tmp) / "before")
        try:
            times: dict[str, list[float]] = {"before": [], "after": []}
            for _ in range(args.runs):
                times["before"].append(timed(fleet, before, args.forks))
                times["after"].append(timed(fleet, config.REPO, args.forks))
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=config.REPO, check=False)
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(f"assess.yml on {args.hosts} hosts, forks {args.forks}, {args.runs} run(s) each, median:")
    print("| playbook | wall s | hosts/s |\n|---|---:|---:|")
    for name, label in (("before", args.before), ("after", "this checkout")):
        print(f"| {label} | {medians[name]:.1f} | {args.hosts / medians[name]:.2f} |")
    print(f"before / after: **{medians['before'] / medians['after']:.2f}x**")
    return 0


if __name__ == "__main__":
    sys.exit(main())
