"""Benchmark: fetching a backup to the controller with the project's PowerShell 2.0-safe chunked reader
(sync_backup) vs Ansible's own fetch, which a user would pick on a PowerShell 5.1 server.

The host gets one large file (random bytes, so nothing compresses) where the backup picks it up: the newest
`Exported-ServerConfiguration-*` folder of %ProgramData%\\AADConnect. Each run resets the host, then times
`ansible-playbook` of (a) sync_assess + sync_backup (the whole backup: every other item too, staged on the server,
hashed on both sides) and (b) ansible.builtin.fetch of that one file (win_stat, then fetch_file in chunks). Prints
Markdown for docs/performance.md.

    .venv/bin/python benchmarks/bench_backup.py [--runs 3] [--size-mib 128] [--host connect23-2019]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timed_playbook import timed_playbook  # noqa: E402
from lab import cli, config  # noqa: E402
from lab.twin.store import TwinStore  # noqa: E402
from lab.wsman import requestlog  # noqa: E402

FOLDER = r"C:\ProgramData\AADConnect\Exported-ServerConfiguration-20261203-120000"


def prepare(host: str, body: bytes) -> None:
    subprocess.run([sys.executable, "-m", "lab", "reset", host], cwd=config.REPO, check=True, capture_output=True)
    store = TwinStore(config.state_dir(), config.PROFILES_DIR)
    twin = store.load(host)
    twin.files.write(FOLDER + r"\big.bin", body)
    store.save(host, twin)


def winrm_bytes(host: str) -> tuple[int, int]:
    entries = requestlog.read(config.log_dir() / f"{host}.jsonl")
    return sum(e.get("bytes_in", 0) for e in entries), sum(e.get("bytes_out", 0) for e in entries)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--size-mib", type=int, default=128)
    parser.add_argument("--host", default="connect23-2019")
    args = parser.parse_args()
    if cli._pid() is None:
        raise SystemExit("start the lab first: make lab-up")
    body = os.urandom(args.size_mib * 1024 * 1024)
    times: dict[str, list[float]] = {"sync_backup": [], "fetch": []}
    wire: dict[str, tuple[int, int]] = {}
    with tempfile.TemporaryDirectory() as out:
        for run in range(args.runs):
            for name, plays in (
                ("sync_backup", [{"hosts": args.host, "gather_facts": False, "roles": [
                    {"role": "entra.sync_upgrade.sync_assess"},
                    {"role": "entra.sync_upgrade.sync_backup",
                     "vars": {"sync_backup_dir": f"{out}/b{run}", "sync_backup_max_age_hours": 0}}]}]),
                ("fetch", [{"hosts": args.host, "gather_facts": False, "tasks": [
                    {"name": "Fetch", "ansible.builtin.fetch": {"src": FOLDER + r"\big.bin",
                                                                "dest": f"{out}/f{run}/", "flat": True}}]}]),
            ):
                prepare(args.host, body)
                times[name].append(timed_playbook(plays))
                wire[name] = winrm_bytes(args.host)
    a, b = statistics.median(times["sync_backup"]), statistics.median(times["fetch"])
    print(f"{args.host}, one {args.size_mib} MiB file ({len(body):,} bytes, random), {args.runs} runs, median:\n")
    print("| how | wall time | WinRM bytes sent / received |")
    print("|---|---:|---:|")
    for name, label, median in (("sync_backup", "sync_backup (assess + whole backup, chunked reader, "
                                 "SHA-256 on both sides)", a), ("fetch", "ansible.builtin.fetch of the one file", b)):
        sent, received = wire[name]
        print(f"| {label} | {median:.2f} s | {sent:,} / {received:,} |")
    print(f"\nRatio sync_backup / fetch: {a / b:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
