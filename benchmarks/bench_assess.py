"""Benchmark: the read-only assessment on every lab host.

Measures wall time of `ansible-playbook playbooks/assess.yml` (lab reset before each run) and, from the
lab's request log, WinRM round trips, commands and bytes per host. Prints a Markdown table for
docs/performance.md.

    .venv/bin/python benchmarks/bench_assess.py [--runs 3] [--forks 12]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lab import cli, config  # noqa: E402
from lab.wsman import requestlog  # noqa: E402
from tests.labfixture import env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--forks", type=int, default=12)
    args = parser.parse_args()
    if cli._pid() is None:
        print("start the lab first: make lab-up", file=sys.stderr)
        return 1
    hosts = [h.name for h in config.load_hosts()]
    times = []
    for _ in range(args.runs):
        subprocess.run([sys.executable, "-m", "lab", "reset"], cwd=config.REPO, check=True, capture_output=True)
        start = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "playbooks/assess.yml",
                               "-f", str(args.forks)], cwd=config.REPO, env={**env(), "ANSIBLE_STDOUT_CALLBACK":
                              "ansible.builtin.null"}, capture_output=True, text=True)
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            return 1
    print(f"assess.yml on {len(hosts)} lab hosts, forks {args.forks}, {args.runs} runs: "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s\n")
    print("| host | HTTP requests | WinRM commands | bytes sent | bytes received |")
    print("|---|---:|---:|---:|---:|")
    for host in hosts:
        log = requestlog.read(config.log_dir() / f"{host}.jsonl")
        commands = sum(1 for e in log if e.get("op") == "Command")
        sent = sum(e.get("bytes_in", 0) for e in log)
        received = sum(e.get("bytes_out", 0) for e in log)
        print(f"| {host} | {len(log)} | {commands} | {sent:,} | {received:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
