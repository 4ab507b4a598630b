"""Benchmark: staging an installer-sized file on one lab host, pulled by the server vs pushed by the controller.

For each size, each run resets the host, then times `ansible-playbook` of the sync_installer role once with pull
(win_get_url from the lab download server, real HTTP on loopback) and once with push (win_copy: Ansible's
put_file over WinRM, base64 lines of 250,000-byte reads on the command's stdin, about 333 KB per Send). Then it
stages again onto the already staged host, both ways, and counts the installer bytes that moved: HTTP body bytes
the download server sent to the host (.lab/log/downloads.jsonl) plus the stdin of WinRM commands that carried a
file (more than FILE_STDIN bytes of stdin; module payloads stay far below). That must be 0, and the role's own
result must say `unchanged` with bytes_transferred 0: the role hashes the file at the final path first
(roles/sync_installer/tasks/main.yml) and transfers nothing when it is the required installer.

    .venv/bin/python benchmarks/bench_installer.py [--sizes 50,200] [--runs 3] [--host target-2022]
        [--quick] [--json docs/performance/installer.json]

--quick: sizes 4 and 16 MiB, one run (a CI-size check of the whole path, well under a minute).

JSON (benchmarks/timed_playbook.py): `results` has one row per size, method and phase:
    {"size_mib", "bytes", "method": "pull"|"push", "phase": "fresh"|"restage", "runs", "seconds": [each run],
     "median_seconds", "min_seconds", "max_seconds", "mib_per_second" (size / median wall time),
     "transfer_seconds" (median time of the WinRM command(s) that moved the bytes: win_get_url's module run
     while the download server answered, or put_file's), "http_requests", "http_bytes", "winrm_requests",
     "winrm_bytes_in", "winrm_bytes_out" (sent to / received from the host), "installer_bytes_moved" (HTTP bytes +
     WinRM file stdin), "role_status", "role_bytes_transferred"} (counts are medians over the runs);
`ratios`: "push_over_pull_<N>_mib" (median wall time of push / pull, fresh host), "push_over_pull_transfer_<N>_mib"
(the same for transfer_seconds), "<method>_incremental_mib_per_second" (the extra MiB from the smallest to the
largest size over the extra seconds: the transfer's own rate, without the role's fixed cost);
`targets`: re-staging moved 0 installer bytes (hard: exit 1 otherwise), pull at least 5x faster than push at
200 MiB (reported; timings on a shared machine are noisy, so it does not fail the run; not measured by --quick).
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
    document,
    lab_running,
    markdown_table,
    published_result,
    report_targets,
    report_task,
    run_playbook,
    target,
    winrm_commands,
    winrm_log,
    write_json,
)
from lab import config  # noqa: E402
from lab.twin import labmsi  # noqa: E402
from lab.wsman import requestlog  # noqa: E402

VERSION = "2.5.190.0"
MIB = 2**20
FILE_STDIN = 1 * MIB  # stdin bytes above which a WinRM command carried a file (put_file), not a module payload
QUICK = {"sizes": "4,16", "runs": 1}
TARGET_MIB, TARGET_RATIO = 200, 5  # the target: pull at least 5x faster than push for the 200 MB file
METHODS = {"pull": "pull (win_get_url, HTTP)", "push": "push (win_copy, WinRM)"}


def reset(host: str) -> None:
    subprocess.run([sys.executable, "-m", "lab", "reset", host], cwd=config.REPO, check=True, capture_output=True)


def downloads(host: str) -> list[dict]:
    return [e for e in requestlog.read(config.log_dir() / "downloads.jsonl") if e.get("host") == host]


def transfer_seconds(commands: list[dict], http: list[dict]) -> float:
    """Seconds of the WinRM commands that moved the file: those that carried it on stdin (push), or the one
    running while the download server answered the host (pull); 0 when nothing moved."""
    carried = [c for c in commands if c["stdin"] > FILE_STDIN]
    if not carried and http:
        carried = [c for c in commands if any(c["start"] <= e["ts"] <= c["end"] for e in http)]
    return round(sum(c["end"] - c["start"] for c in carried), 3)


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
    commands = winrm_commands(entries)
    file_stdin = sum(c["stdin"] for c in commands if c["stdin"] > FILE_STDIN)
    http_bytes = sum(e.get("bytes", 0) for e in http)
    result = published_result(proc.stdout) or {}
    return {"seconds": round(elapsed, 3), "transfer_seconds": transfer_seconds(commands, http),
            "role_status": result.get("status"), "role_bytes_transferred": result.get("bytes_transferred"),
            "http_requests": len(http), "http_bytes": http_bytes,
            "winrm_requests": len(entries), "winrm_bytes_in": sum(e.get("bytes_in", 0) for e in entries),
            "winrm_bytes_out": sum(e.get("bytes_out", 0) for e in entries),
            "installer_bytes_moved": http_bytes + file_stdin}


def summarize(size_mib: int, method: str, phase: str, runs: list[dict]) -> dict:
    """One results row from the runs of one size, method and phase (times and counts: medians)."""
    seconds = [r["seconds"] for r in runs]
    median = statistics.median(seconds)
    row = {"size_mib": size_mib, "bytes": size_mib * MIB, "method": method, "phase": phase, "runs": len(runs),
           "seconds": seconds, "median_seconds": median, "min_seconds": min(seconds), "max_seconds": max(seconds),
           "mib_per_second": round(size_mib / median, 2)}
    for key in ("transfer_seconds", "http_requests", "http_bytes", "winrm_requests", "winrm_bytes_in",
                "winrm_bytes_out", "installer_bytes_moved"):
        row[key] = statistics.median(r[key] for r in runs)
    # the role's verdicts over all runs, so that one odd run is not hidden behind a median
    statuses = sorted({str(r["role_status"]) for r in runs})
    row["role_status"] = "/".join(statuses)
    moved = [r["role_bytes_transferred"] for r in runs]
    row["role_bytes_transferred"] = None if None in moved else max(moved)
    return row


def bench_size(host: str, size_mib: int, runs: int) -> list[dict]:
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
    # the download server builds a lab installer on its first request and serves it from its cache after: a
    # request of its own (not the host's, so not counted) keeps the build out of pull's time
    subprocess.run(["curl", "-s", "-o", "/dev/null", url], check=False)
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
    return ([summarize(size_mib, m, "fresh", rows) for m, rows in fresh.items()]
            + [summarize(size_mib, m, "restage", [row]) for m, row in restage.items()])


def find(rows: list[dict], size_mib: int, method: str, phase: str = "fresh") -> dict:
    return next(r for r in rows if (r["size_mib"], r["method"], r["phase"]) == (size_mib, method, phase))


def ratios(rows: list[dict]) -> dict[str, float]:
    """push/pull per size (wall time, and transfer time alone), and each method's incremental rate."""
    out: dict[str, float] = {}
    sizes = sorted({r["size_mib"] for r in rows})
    for size in sizes:
        pull, push = find(rows, size, "pull"), find(rows, size, "push")
        out[f"push_over_pull_{size}_mib"] = round(push["median_seconds"] / pull["median_seconds"], 2)
        if pull["transfer_seconds"] > 0:
            out[f"push_over_pull_transfer_{size}_mib"] = round(push["transfer_seconds"] / pull["transfer_seconds"], 2)
    if len(sizes) > 1:
        for method in METHODS:
            small, large = find(rows, sizes[0], method), find(rows, sizes[-1], method)
            extra = large["median_seconds"] - small["median_seconds"]
            if extra > 0:  # noise can make the larger size no slower: then there is no rate to give
                out[f"{method}_incremental_mib_per_second"] = round((sizes[-1] - sizes[0]) / extra, 1)
    return out


def targets(rows: list[dict], measured: dict[str, float]) -> list[dict]:
    restaged = [r for r in rows if r["phase"] == "restage"]
    moved = [r for r in restaged if r["installer_bytes_moved"] != 0 or r["role_status"] != "unchanged"
             or r["role_bytes_transferred"] != 0]
    found = [target("restage_moves_zero_bytes", bool(restaged) and not moved, True,
                    "; ".join(f"{r['size_mib']} MiB by {r['method']} moved {r['installer_bytes_moved']:,} installer "
                              f"bytes (role: {r['role_status']}, {r['role_bytes_transferred']} "
                              "bytes)" for r in moved) or f"{len(restaged)} re-staging run(s), 0 installer bytes")]
    ratio = measured.get(f"push_over_pull_{TARGET_MIB}_mib")
    if ratio is not None:
        found.append(target(f"pull_{TARGET_RATIO}x_faster_than_push_at_{TARGET_MIB}_mib", ratio >= TARGET_RATIO, False,
                            f"push / pull = {ratio:.2f} (wall time of the role, median; the transfer alone: "
                            f"{measured.get(f'push_over_pull_transfer_{TARGET_MIB}_mib', 'not measured')})"))
    return found


def tables(host: str, rows: list[dict], measured: dict[str, float]) -> str:
    fresh = [r for r in rows if r["phase"] == "fresh"]
    runs = max(r["runs"] for r in fresh)
    first = markdown_table(
        [("size", "r"), ("method", "l"), ("wall time, median (min-max)", "r"), ("MiB/s", "r"), ("transfer", "r"),
         ("HTTP requests", "r"), ("HTTP bytes", "r"), ("WinRM requests", "r"), ("WinRM bytes sent / received", "r")],
        [[f"{r['size_mib']} MiB", METHODS[r["method"]],
          f"{r['median_seconds']:.2f} s ({r['min_seconds']:.2f}-{r['max_seconds']:.2f})", f"{r['mib_per_second']:.1f}",
          f"{r['transfer_seconds']:.2f} s", f"{r['http_requests']:.0f}", f"{r['http_bytes']:,.0f}",
          f"{r['winrm_requests']:.0f}", f"{r['winrm_bytes_in']:,.0f} / {r['winrm_bytes_out']:,.0f}"] for r in fresh])
    second = markdown_table(
        [("re-staging (already staged)", "l"), ("wall time", "r"), ("role result", "l"),
         ("installer bytes moved (HTTP + WinRM file stdin)", "r"), ("HTTP requests", "r"), ("WinRM requests", "r"),
         ("WinRM bytes sent", "r")],
        [[f"{r['size_mib']} MiB, {r['method']}", f"{r['median_seconds']:.2f} s",
          f"{r['role_status']}, {r['role_bytes_transferred']} bytes",
          f"{r['installer_bytes_moved']:,}", f"{r['http_requests']:.0f}", f"{r['winrm_requests']:.0f}",
          f"{r['winrm_bytes_in']:,.0f}"] for r in rows if r["phase"] == "restage"])
    lines = [f"sync_installer on {host}, {runs} run(s) per method and size from a freshly reset host "
             "(transfer: the WinRM command(s) that moved the file):", "", first, ""]
    for key, value in measured.items():
        if key.startswith("push_over_pull_"):
            what = "transfer alone" if "_transfer_" in key else "wall time"
            lines.append(f"{key.rsplit('_', 2)[-2]} MiB: push / pull = **{value:.1f}x** ({what})")
        else:
            lines.append(f"{key.split('_')[0]}: {value:.1f} MiB/s for the bytes between the smallest and the largest "
                         "size (the role's fixed per-task cost taken out)")
    return "\n".join([*lines, "", second])


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
    if not lab_running():
        return 1
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    rows = [row for size in sizes for row in bench_size(args.host, size, args.runs)]
    measured = ratios(rows)
    found = targets(rows, measured)
    print(tables(args.host, rows, measured) + "\n")
    failed = report_targets(found)
    out = write_json(args.json, document("bench_installer", argv, args.quick, rows, measured, found))
    print(f"JSON: {out}")
    return failed


if __name__ == "__main__":
    sys.exit(main())
