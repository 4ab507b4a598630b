"""Benchmark: staging an installer-sized file on one lab host, pulled by the server vs pushed by the controller.

For each size, each run resets the host, then times `ansible-playbook` of the sync_installer role once with pull
(win_get_url from the lab download server, real HTTP on loopback) and once with push (win_copy: Ansible's
put_file over WinRM, base64 lines of 250,000-byte reads on the command's stdin, about 333 KB per Send). Then it
stages again onto the already staged host, both ways, and counts the installer bytes that moved: HTTP body bytes
the download server sent to the host (.lab/log/downloads.jsonl) plus the stdin of WinRM commands that carried a
file (more than FILE_STDIN bytes of stdin; module payloads stay far below). That must be 0, and the role's own
result must say `unchanged` with bytes_transferred 0: the role hashes the file at the final path first
(roles/sync_installer/tasks/main.yml) and transfers nothing when it is the required installer. Otherwise the
script exits 1.

    .venv/bin/python benchmarks/bench_installer.py [--sizes 50,200] [--runs 3] [--host target-2022]
        [--quick] [--json docs/performance/installer.json]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timed_playbook import (  # noqa: E402
    published_result,
    report_task,
    run_playbook,
    winrm_commands,
    winrm_log,
    write_json,
)
from lab import cli, config  # noqa: E402
from lab.twin import labmsi  # noqa: E402
from lab.wsman import requestlog  # noqa: E402

VERSION = "2.5.190.0"
MIB = 2**20
FILE_STDIN = 1 * MIB  # stdin bytes above which a WinRM command carried a file (put_file), not a module payload
QUICK = {"sizes": "8,50", "runs": 1}


def reset(host: str) -> None:
    subprocess.run([sys.executable, "-m", "lab", "reset", host], cwd=config.REPO, check=True, capture_output=True)


def downloads(host: str) -> list[dict]:
    return [e for e in requestlog.read(config.log_dir() / "downloads.jsonl") if e.get("host") == host]


def stage(host: str, role_vars: dict) -> dict:
    """One run of the role, with what moved: the download server's and the host's WinRM logs, before and after."""
    http_before, winrm_before = len(downloads(host)), len(winrm_log(host))
    plays = [{"name": "Stage", "hosts": host, "gather_facts": False,
              "roles": [{"role": "entra.sync_upgrade.sync_installer", "vars": role_vars}],
              "post_tasks": [report_task("sync_installer_result")]}]
    elapsed, proc = run_playbook(plays)
    if proc.returncode != 0:
        raise SystemExit(f"the playbook failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    http = downloads(host)[http_before:]
    entries = winrm_log(host)[winrm_before:]
    file_stdin = sum(c["stdin"] for c in winrm_commands(entries) if c["stdin"] > FILE_STDIN)
    result = published_result(proc.stdout) or {}
    return {"seconds": round(elapsed, 3), "status": result.get("status"),
            "role_bytes_transferred": result.get("bytes_transferred"),
            "http_requests": len(http), "http_bytes": sum(e.get("bytes", 0) for e in http),
            "winrm_requests": len(entries), "winrm_bytes_in": sum(e.get("bytes_in", 0) for e in entries),
            "winrm_bytes_out": sum(e.get("bytes_out", 0) for e in entries), "winrm_file_stdin_bytes": file_stdin}


def bench_size(host: str, size_mib: int, runs: int) -> dict:
    size = size_mib * MIB
    body = labmsi.build(size, VERSION)
    sha = hashlib.sha256(body).hexdigest()
    url = f"http://127.0.0.1:{config.load_download_port()}/installers/signed/{VERSION}/{size}/AzureADConnect.msi"
    local = config.home() / "bench" / "AzureADConnect.msi"
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(body)
    del body
    common = {"sync_installer_sha256": sha, "sync_installer_version": VERSION}
    variants = {"pull": {**common, "sync_installer_url": url},
                # the lab inventory sets a URL: push needs it emptied
                "push": {**common, "sync_installer_src": str(local), "sync_installer_url": ""}}
    subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)  # the server builds and caches it once
    try:
        fresh: dict[str, list[dict]] = {"pull": [], "push": []}
        for _ in range(runs):
            for method, role_vars in variants.items():
                reset(host)
                fresh[method].append(stage(host, role_vars))
        # the host as the last push left it: the installer staged and verified
        restage = {method: stage(host, role_vars) for method, role_vars in variants.items()}
    finally:
        reset(host)
        local.unlink()
    summary = {}
    for method, rows in fresh.items():
        seconds = [r["seconds"] for r in rows]
        median = statistics.median(seconds)
        summary[method] = {"median_seconds": median, "min_seconds": min(seconds), "max_seconds": max(seconds),
                           "mib_per_second": round(size_mib / median, 2),
                           **{k: statistics.median(r[k] for r in rows) for k in rows[0]
                              if k not in ("seconds", "status")}}
    return {"size_mib": size_mib, "bytes": size, "sha256": sha, "runs": fresh, "summary": summary,
            "push_over_pull": round(summary["push"]["median_seconds"] / summary["pull"]["median_seconds"], 2),
            "restage": restage}


def incremental(results: list[dict]) -> dict[str, float]:
    """MiB/s of the extra bytes from the smallest to the largest size: the transfer's own rate, without the
    role's fixed cost (its other tasks), which a single size's wall time includes."""
    if len(results) < 2:
        return {}
    small, large = min(results, key=lambda r: r["size_mib"]), max(results, key=lambda r: r["size_mib"])
    rates = {}
    for method in ("pull", "push"):
        extra = large["summary"][method]["median_seconds"] - small["summary"][method]["median_seconds"]
        if extra > 0:
            rates[method] = round((large["size_mib"] - small["size_mib"]) / extra, 1)
    return rates


def restage_moved(row: dict) -> int:
    return row["http_bytes"] + row["winrm_file_stdin_bytes"]


def print_tables(host: str, runs: int, results: list[dict]) -> None:
    print(f"sync_installer on {host}, {runs} run(s) per method and size from a freshly reset host, "
          "median (min-max):\n")
    print("| size | method | wall time | MiB/s | HTTP requests | HTTP bytes | WinRM requests | "
          "WinRM bytes sent / received |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        for method, label in (("pull", "pull (win_get_url, HTTP)"), ("push", "push (win_copy, WinRM)")):
            s = r["summary"][method]
            print(f"| {r['size_mib']} MiB | {label} | {s['median_seconds']:.2f} s ({s['min_seconds']:.2f}-"
                  f"{s['max_seconds']:.2f}) | {s['mib_per_second']:.1f} | {s['http_requests']:.0f} | "
                  f"{s['http_bytes']:,.0f} | {s['winrm_requests']:.0f} | {s['winrm_bytes_in']:,.0f} / "
                  f"{s['winrm_bytes_out']:,.0f} |")
    print()
    for r in results:
        print(f"{r['size_mib']} MiB: push / pull = **{r['push_over_pull']:.1f}x**")
    for method, rate in incremental(results).items():
        print(f"{method}: {rate:.1f} MiB/s for the bytes between the smallest and the largest size "
              "(the role's fixed per-task cost taken out)")
    print("\n| re-staging (already staged) | wall time | role result | installer bytes moved (HTTP + WinRM file "
          "stdin) | HTTP requests | WinRM requests | WinRM bytes sent |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for r in results:
        for method, row in r["restage"].items():
            print(f"| {r['size_mib']} MiB, {method} | {row['seconds']:.2f} s | {row['status']}, "
                  f"{row['role_bytes_transferred']} bytes | {restage_moved(row):,} | {row['http_requests']} | "
                  f"{row['winrm_requests']} | {row['winrm_bytes_in']:,} |")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200", help="installer sizes in MiB, comma-separated")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--host", default="target-2022")
    parser.add_argument("--quick", action="store_true", help=f"CI-size check: {QUICK}")
    parser.add_argument("--json", default="docs/performance/installer.json", help="where the results go")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.runs = QUICK["sizes"], QUICK["runs"]
    if cli._pid() is None:
        print("start the lab first: make lab-up", file=sys.stderr)
        return 1
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    results = [bench_size(args.host, size, args.runs) for size in sizes]
    print_tables(args.host, args.runs, results)
    moved = [(r["size_mib"], m, row) for r in results for m, row in r["restage"].items()
             if restage_moved(row) != 0 or row["status"] != "unchanged" or row["role_bytes_transferred"] != 0]
    largest = max(results, key=lambda r: r["size_mib"])
    targets = {"restage_zero_bytes": not moved,
               f"pull_5x_faster_than_push_at_{largest['size_mib']}_mib": largest["push_over_pull"] >= 5}
    out = write_json(args.json, "bench_installer", argv, {
        "host": args.host, "runs": args.runs, "quick": args.quick, "version": VERSION, "sizes": results,
        "incremental_mib_per_second": incremental(results),
        "targets": targets})
    verdicts = ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in targets.items())
    print(f"\ntargets: {verdicts}\nJSON: {out}")
    for size_mib, method, row in moved:
        print(f"FAILED: re-staging {size_mib} MiB by {method} moved {restage_moved(row):,} installer bytes "
              f"(role: {row['status']}, {row['role_bytes_transferred']} bytes)", file=sys.stderr)
    return 1 if moved else 0


if __name__ == "__main__":
    sys.exit(main())
