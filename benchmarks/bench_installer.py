"""Benchmark: staging an installer-sized file on one lab host, pulled by the server vs pushed by the controller.

Each run resets the host, then times `ansible-playbook` of the sync_installer role once with pull (win_get_url
from the lab download server, real HTTP on loopback) and once with push (win_copy: Ansible's put_file over
WinRM, base64 in 200 KB Send requests). A last run stages again onto the already staged host and counts the bytes
that moved then: the download server's log and the host's WinRM request log. Prints Markdown for
docs/performance.md.

    .venv/bin/python benchmarks/bench_installer.py [--runs 3] [--size-mib 150] [--host target-2022]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timed_playbook import timed_playbook  # noqa: E402
from lab import cli, config  # noqa: E402
from lab.twin import labmsi  # noqa: E402
from lab.wsman import requestlog  # noqa: E402

VERSION = "2.5.190.0"


def playbook(host: str, role_vars: dict) -> str:
    plays = [{"name": "Stage", "hosts": host, "gather_facts": False,
              "roles": [{"role": "entra.sync_upgrade.sync_installer", "vars": role_vars}]}]
    return yaml.safe_dump(plays, sort_keys=False)


def run_role(host: str, role_vars: dict) -> float:
    return timed_playbook(yaml.safe_load(playbook(host, role_vars)))


def reset(host: str) -> None:
    subprocess.run([sys.executable, "-m", "lab", "reset", host], cwd=config.REPO, check=True, capture_output=True)


def winrm_bytes_in(host: str) -> int:
    return sum(e.get("bytes_in", 0) for e in requestlog.read(config.log_dir() / f"{host}.jsonl"))


def downloaded(host: str) -> int:
    return sum(e.get("bytes", 0) for e in requestlog.read(config.log_dir() / "downloads.jsonl") if e.get("host") == host)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=150)
    parser.add_argument("--host", default="target-2022")
    args = parser.parse_args()
    if cli._pid() is None:
        print("start the lab first: make lab-up", file=sys.stderr)
        return 1
    size = args.size_mib * 2**20
    body = labmsi.build(size, VERSION)
    sha = hashlib.sha256(body).hexdigest()
    port = config.load_download_port()
    url = f"http://127.0.0.1:{port}/installers/signed/{VERSION}/{size}/AzureADConnect.msi"
    local = config.home() / "bench" / "AzureADConnect.msi"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(body)
    common = {"sync_installer_sha256": sha, "sync_installer_version": VERSION}
    pull_vars = {**common, "sync_installer_url": url}
    push_vars = {**common, "sync_installer_src": str(local), "sync_installer_url": ""}  # the lab inventory sets a URL
    subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)  # the server builds and caches it once

    pulls, pushes, push_wire = [], [], []
    for _ in range(args.runs):
        reset(args.host)
        pulls.append(run_role(args.host, pull_vars))
        reset(args.host)
        pushes.append(run_role(args.host, push_vars))
        push_wire.append(winrm_bytes_in(args.host))
    # stage again on the host as the last push left it (already staged), both ways
    restage = {}
    for name, role_vars in (("pull", pull_vars), ("push", push_vars)):
        before_http, before_winrm = downloaded(args.host), winrm_bytes_in(args.host)
        elapsed = run_role(args.host, role_vars)
        restage[name] = (elapsed, downloaded(args.host) - before_http, winrm_bytes_in(args.host) - before_winrm)
    reset(args.host)
    local.unlink()

    pull, push = statistics.median(pulls), statistics.median(pushes)
    print(f"sync_installer on {args.host}, one {args.size_mib} MiB installer ({size:,} bytes), {args.runs} runs "
          f"each, median (min-max):\n")
    print("| method | wall time | bytes moved |")
    print("|---|---:|---:|")
    print(f"| pull (win_get_url, HTTP) | {pull:.2f} s ({min(pulls):.2f}-{max(pulls):.2f}) | {size:,} over HTTP |")
    print(f"| push (win_copy, WinRM) | {push:.2f} s ({min(pushes):.2f}-{max(pushes):.2f}) | "
          f"{statistics.median(push_wire):,} WinRM request bytes |")
    print(f"\npush / pull: **{push / pull:.1f}x**\n")
    print("| re-staging (already staged) | wall time | HTTP bytes | WinRM request bytes |")
    print("|---|---:|---:|---:|")
    for name, (elapsed, http, winrm) in restage.items():
        print(f"| {name} | {elapsed:.2f} s | {http:,} | {winrm:,} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
