"""Benchmark: fetching a backup to the controller with the project's PowerShell 2.0-safe chunked reader
(sync_backup, plugins/plugin_utils/_chunked_fetch.py): its chunk size on a PowerShell 2.0 host, and against
Ansible's own fetch on a PowerShell 5.1 host.

Section `sweep`: a DirSync server on Windows Server 2008 R2 (PowerShell 2.0, WinRM 2.0) with a database backup
of --db-mib MiB. DirSync's backup item is a COPY_ONLY `BACKUP DATABASE` run during the backup itself
(_backup_catalog.database_item); the twin writes a backup the size of the database's used space (lab/twin/sql.py),
so the benchmark sets the twin's `used_mb`. Its bytes read as zeros; nothing on the way compresses (base64 in
SOAP over TLS), so the wire carries what random bytes would. Each run resets the host, then times
`ansible-playbook` of sync_assess + sync_backup (sync_backup_database true) with one sync_backup_chunk_bytes, and
reads the host's WinRM log: the reader's commands (between the backup-stage collect and remove commands) give its
own throughput, commands and requests. A chunk size the toolkit refuses is reported with its message.

The envelope limits: a request may not exceed the host's MaxEnvelopeSizekb (WinRM 2.0, i.e. PowerShell 2.0 on
2008 R2: 150 KB; WinRM 3.0 and later: 500 KB), and a reply may not exceed the MaxEnvelopeSize the client asks
for (pywinrm: 153,600 bytes). A chunk is not bound by either: the reader's request names ranges only, and its
answer (the chunk in base64) is the command's output, which WinRS splits across as many Receive replies as it
needs. chunk_limits() predicts what each chunk size costs against those limits (envelopes' worth of base64 per
read, Receive replies per read); the table sets it beside what the log shows. The lab accepts requests up to
500 KB from every host, 2008 R2 included, so the benchmark itself checks the reader's largest request and reply
against the host's limits: a miss is a hard failure (exit 1), since Windows would refuse the request.

Section `fetch`: the file comparison on a PowerShell 5.1 host, where Ansible's fetch can run too. The host gets
one large file (random bytes) where the backup picks it up: the newest `Exported-ServerConfiguration-*` folder
of %ProgramData%\\AADConnect. Each run resets the host, then times (a) sync_assess + sync_backup (the whole backup:
every other item too, staged on the server, hashed on both sides) and (b) ansible.builtin.fetch of that one file
(win_stat, then fetch_file in chunks).

    .venv/bin/python benchmarks/bench_backup.py [--section sweep|fetch|all] [--quick]
        [--json docs/performance/backup.json] [--chunks 64K,256K,1M,2M,4M,8M,16M,32M] [--db-mib 50] ...

--quick: an 8 MiB database backup at chunks 256K, 4M and 32M (refused), an 8 MiB file, one run each.

JSON (benchmarks/timed_playbook.py): `results` has one row per chunk size of the sweep and per method of the
fetch comparison:
    sweep: {"section": "sweep", "host", "powershell", "db_mib", "chunk_bytes", "refused" (the toolkit's message, or
     null), "runs", "seconds" (each run's playbook wall time), "median_seconds", "reader_seconds",
     "reader_mib_per_second" (every fetched byte over the reader's time; median run), "reader_commands",
     "reader_requests" (Command, Send, Receive, Signal), "reader_receives", "winrm_requests" (the whole run),
     "largest_request", "largest_reply" (bytes, the reader's), "limits" (chunk_limits())}
    fetch: {"section": "fetch", "host", "method": "sync_backup"|"fetch", "size_mib", "runs", "seconds",
     "median_seconds", "winrm_requests", "winrm_bytes_in", "winrm_bytes_out"}
`ratios`: "reader_fastest_over_slowest_chunk" (reader MiB/s), "sync_backup_over_fetch" (median wall time);
`targets`: the reader's requests within the host's envelope limit, its replies within the client's (hard).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from winrm.protocol import Protocol  # noqa: E402

from benchmarks.timed_playbook import (  # noqa: E402
    document,
    failure_message,
    lab_running,
    markdown_table,
    report_targets,
    run_playbook,
    target,
    timed_playbook,
    winrm_commands,
    winrm_log,
    write_json,
)
from lab import config  # noqa: E402
from lab.twin.store import TwinStore  # noqa: E402
from lab.wsman import shells as wsman_shells  # noqa: E402

FOLDER = r"C:\ProgramData\AADConnect\Exported-ServerConfiguration-20261203-120000"
MIB = 2**20
# backup-stage scripts carry about 34 KB of stdin, backup-read about 8 KB (its segment list included); a reader
# whose segment list outgrew this would be taken for a stage command, and the received-bytes check fails loudly
STAGE_STDIN = 15_000
CLIENT_MAX_ENVELOPE = Protocol.DEFAULT_MAX_ENV_SIZE  # what pywinrm asks for: the largest reply a host may send
QUICK = {"chunks": "256K,4M,32M", "db_mib": 8, "size_mib": 8, "runs": 1}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    factor = {"K": 1024, "M": MIB}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * factor)


def label(size: int) -> str:
    return f"{size // MIB} MiB" if size % MIB == 0 else f"{size // 1024} KiB"


def host_max_envelope(powershell: str) -> int:
    """The host's MaxEnvelopeSizekb default in bytes: WinRM 2.0 (what a PowerShell 2.0 host has) 150 KB, WinRM 3.0
    (WMF 3.0, PowerShell 3.0) and later 500 KB."""
    return (150 if int(str(powershell).split(".")[0]) < 3 else 500) * 1024


def chunk_limits(chunk: int, host_envelope: int, receive_bytes: int = wsman_shells.MAX_CHUNK) -> dict:
    """What one full chunk costs against the envelope limits: its base64 (the reader's answer, which the JSON
    around it adds a few bytes to), how many host envelopes' worth that is, and the Receive replies WinRS splits
    it into (receive_bytes of output each: the lab's; Windows fills each reply up to the client's
    MaxEnvelopeSize)."""
    base64_bytes = 4 * math.ceil(chunk / 3)
    return {"base64_bytes": base64_bytes, "host_envelopes": round(base64_bytes / host_envelope, 2),
            "receives_per_read": math.ceil(base64_bytes / receive_bytes)}


def reset(host: str) -> TwinStore:
    subprocess.run([sys.executable, "-m", "lab", "reset", host], cwd=config.REPO, check=True, capture_output=True)
    return TwinStore(config.state_dir(), config.PROFILES_DIR)


# the chunk-size sweep on a PowerShell 2.0 host ----------------------------------------------------------------

def prepare_database(host: str, db_mib: int) -> str:
    """Reset the host; its sync database's backup will be db_mib MiB. Returns the host's PowerShell version."""
    store = reset(host)
    twin = store.load(host)
    databases = (twin.state.get("sql") or {}).get("databases") or []
    if len(databases) != 1:
        raise SystemExit(f"{host}: expected one SQL database in the twin, found {len(databases)}")
    databases[0]["used_mb"] = db_mib
    store.save(host, twin)
    return twin.powershell_version


def reader_phase(commands: list[dict], db_bytes: int) -> dict:
    """The backup-read commands of the last sync_backup in the log's commands: after the collect and before the
    remove (the two last commands with a stage-sized script)."""
    stage = [i for i, c in enumerate(commands) if c["stdin"] > STAGE_STDIN]
    if len(stage) < 2 or stage[-1] != len(commands) - 1:
        raise SystemExit("cannot tell the reader's commands in the WinRM log")
    reads = commands[stage[-2] + 1:stage[-1]]
    received = sum(c["bytes_out"] for c in reads)
    if not reads or received < db_bytes * 4 // 3:
        raise SystemExit(f"the reader's commands carried {received:,} bytes, less than the backup's base64")
    return {"commands": len(reads), "requests": sum(c["requests"] for c in reads),
            "receives": sum(c["receives"] for c in reads), "seconds": reads[-1]["end"] - reads[0]["start"],
            "bytes_out": received, "bytes_in": sum(c["bytes_in"] for c in reads),
            "largest_request": max(c["largest_in"] for c in reads),
            "largest_reply": max(c["largest_out"] for c in reads)}


def sweep_row(host: str, powershell: str, db_mib: int, chunk: int, runs: list[dict], refused: str | None) -> dict:
    """One results row from a chunk size's runs ({seconds, fetched_bytes, winrm_requests, reader}); the reader's
    counts are the run whose throughput is the median's."""
    row = {"section": "sweep", "host": host, "powershell": powershell, "db_mib": db_mib, "chunk_bytes": chunk,
           "refused": refused, "runs": len(runs), "seconds": [r["seconds"] for r in runs],
           "limits": chunk_limits(chunk, host_max_envelope(powershell))}
    if not runs:
        return row
    for r in runs:
        r["reader_mib_per_second"] = round(r["fetched_bytes"] / MIB / r["reader"]["seconds"], 2)
    median = statistics.median(r["reader_mib_per_second"] for r in runs)
    pick = min(runs, key=lambda r: abs(r["reader_mib_per_second"] - median))
    reader = pick["reader"]
    row.update(median_seconds=statistics.median(row["seconds"]), reader_seconds=round(reader["seconds"], 3),
               reader_mib_per_second=median, reader_commands=reader["commands"], reader_requests=reader["requests"],
               reader_receives=reader["receives"], winrm_requests=pick["winrm_requests"],
               largest_request=max(r["reader"]["largest_request"] for r in runs),
               largest_reply=max(r["reader"]["largest_reply"] for r in runs))
    return row


def sweep(host: str, db_mib: int, chunks: list[int], runs: int) -> list[dict]:
    db_bytes = db_mib * MIB
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for chunk in chunks:
            done, refused, powershell = [], None, ""
            for run in range(runs):
                powershell = prepare_database(host, db_mib)
                dest = Path(out) / f"c{chunk}-{run}"
                plays = [{"hosts": host, "gather_facts": False, "roles": [
                    {"role": "entra.sync_upgrade.sync_assess"},
                    {"role": "entra.sync_upgrade.sync_backup", "vars": {
                        "sync_backup_dir": str(dest), "sync_backup_max_age_hours": 0,
                        "sync_backup_database": True, "sync_backup_chunk_bytes": chunk}}]}]
                elapsed, proc = run_playbook(plays)
                if proc.returncode != 0:
                    refused = failure_message(proc.stdout)  # a refusal is the same every time: one run says it
                    break
                fetched = [p for p in dest.rglob("*") if p.is_file()]
                backup = [p for p in fetched if p.suffix == ".bak"]
                if len(backup) != 1 or backup[0].stat().st_size != db_bytes:
                    raise SystemExit(f"{host}: chunk {chunk}: the database backup did not arrive whole: {backup}")
                entries = winrm_log(host)
                done.append({"seconds": round(elapsed, 3), "fetched_bytes": sum(p.stat().st_size for p in fetched),
                             "winrm_requests": len(entries), "reader": reader_phase(winrm_commands(entries), db_bytes)})
                shutil.rmtree(dest)  # 3 runs of 8 chunk sizes would hold over a GiB
            rows.append(sweep_row(host, powershell, db_mib, chunk, done, refused))
    return rows


def sweep_table(rows: list[dict]) -> str:
    first = rows[0]
    envelope = host_max_envelope(first["powershell"])
    head = (f"sync_backup of {first['host']} (PowerShell {first['powershell']}, host MaxEnvelopeSizekb "
            f"{envelope // 1024}), database backup {first['db_mib']} MiB, {max(r['runs'] for r in rows)} run(s) per "
            "chunk size, median:\n\n")
    cells = []
    for r in rows:
        lim = r["limits"]
        predicted = f"{lim['host_envelopes']:.2f} / {lim['receives_per_read']}"
        if r["refused"] is not None:
            cells.append([label(r["chunk_bytes"]), predicted, f"refused: {r['refused']}", "", "", "", "", "", ""])
            continue
        cells.append([label(r["chunk_bytes"]), predicted, f"{r['median_seconds']:.2f} s",
                      f"{r['reader_mib_per_second']:.1f}", f"{r['reader_seconds']:.2f} s", r["reader_commands"],
                      f"{r['reader_requests']} ({r['reader_receives']})", r["winrm_requests"],
                      f"{r['largest_request']:,} / {r['largest_reply']:,}"])
    table = markdown_table(
        [("chunk", "r"), ("host envelopes per chunk / Receives per read (predicted)", "r"), ("playbook wall time", "r"),
         ("reader MiB/s", "r"), ("reader time", "r"), ("reader commands", "r"), ("reader requests (Receives)", "r"),
         ("all WinRM requests", "r"), ("reader's largest request / reply, bytes", "r")], cells)
    return (head + table + f"\n\nLimits: a request up to {envelope:,} bytes (the host), a reply up to "
            f"{CLIENT_MAX_ENVELOPE:,} (the client); the lab's WinRS puts {wsman_shells.MAX_CHUNK:,} bytes of output in "
            "a Receive reply.")


# the fetch comparison on a PowerShell 5.1 host -----------------------------------------------------------------

def prepare_file(host: str, body: bytes) -> None:
    store = reset(host)
    twin = store.load(host)
    twin.files.write(FOLDER + r"\big.bin", body)
    store.save(host, twin)


def fetch_compare(host: str, size_mib: int, runs: int) -> list[dict]:
    body = os.urandom(size_mib * MIB)
    times: dict[str, list[float]] = {"sync_backup": [], "fetch": []}
    wire: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as out:
        for run in range(runs):
            for name, plays in (
                ("sync_backup", [{"hosts": host, "gather_facts": False, "roles": [
                    {"role": "entra.sync_upgrade.sync_assess"},
                    {"role": "entra.sync_upgrade.sync_backup",
                     "vars": {"sync_backup_dir": f"{out}/b{run}", "sync_backup_max_age_hours": 0}}]}]),
                ("fetch", [{"hosts": host, "gather_facts": False, "tasks": [
                    {"name": "Fetch", "ansible.builtin.fetch": {"src": FOLDER + r"\big.bin",
                                                                "dest": f"{out}/f{run}/", "flat": True}}]}]),
            ):
                prepare_file(host, body)
                times[name].append(round(timed_playbook(plays), 3))
                entries = winrm_log(host)
                wire[name] = {"winrm_requests": len(entries),
                              "winrm_bytes_in": sum(e.get("bytes_in", 0) for e in entries),
                              "winrm_bytes_out": sum(e.get("bytes_out", 0) for e in entries)}
    return [{"section": "fetch", "host": host, "method": name, "size_mib": size_mib, "runs": runs,
             "seconds": seconds, "median_seconds": statistics.median(seconds), **wire[name]}
            for name, seconds in times.items()]


def fetch_table(rows: list[dict]) -> str:
    labels = {"sync_backup": "sync_backup (assess + whole backup, chunked reader, SHA-256 on both sides)",
              "fetch": "ansible.builtin.fetch of the one file"}
    first = rows[0]
    return (f"{first['host']}, one {first['size_mib']} MiB file (random bytes), {first['runs']} run(s), median:\n\n"
            + markdown_table([("how", "l"), ("wall time", "r"), ("WinRM requests", "r"),
                              ("WinRM bytes sent / received", "r")],
                             [[labels[r["method"]], f"{r['median_seconds']:.2f} s", r["winrm_requests"],
                               f"{r['winrm_bytes_in']:,} / {r['winrm_bytes_out']:,}"] for r in rows]))


# results ----------------------------------------------------------------------------------------------------------

def ratios(rows: list[dict]) -> dict[str, float]:
    out = {}
    measured = [r for r in rows if r["section"] == "sweep" and r["refused"] is None]
    if len(measured) > 1:
        rates = [r["reader_mib_per_second"] for r in measured]
        out["reader_fastest_over_slowest_chunk"] = round(max(rates) / min(rates), 2)
    fetch = {r["method"]: r["median_seconds"] for r in rows if r["section"] == "fetch"}
    if len(fetch) == 2:
        out["sync_backup_over_fetch"] = round(fetch["sync_backup"] / fetch["fetch"], 2)
    return out


def targets(rows: list[dict]) -> list[dict]:
    measured = [r for r in rows if r["section"] == "sweep" and r["refused"] is None]
    if not measured:
        return []
    envelope = host_max_envelope(measured[0]["powershell"])
    request = max(r["largest_request"] for r in measured)
    reply = max(r["largest_reply"] for r in measured)
    return [target("reader_requests_within_host_envelope", request <= envelope, True,
                   f"largest request {request:,} bytes, the host accepts {envelope:,}"),
            target("reader_replies_within_client_envelope", reply <= CLIENT_MAX_ENVELOPE, True,
                   f"largest reply {reply:,} bytes, the client asks for at most {CLIENT_MAX_ENVELOPE:,}")]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--section", choices=("sweep", "fetch", "all"), default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help=f"CI-size check: {QUICK}")
    parser.add_argument("--json", default="docs/performance/backup.json", help="where the results go")
    parser.add_argument("--legacy-host", default="dirsync-2008r2", help="sweep: a PowerShell 2.0 DirSync host")
    parser.add_argument("--db-mib", type=int, default=50, help="sweep: the database backup's size")
    parser.add_argument("--chunks", default="64K,256K,1M,2M,4M,8M,16M,32M", help="sweep: chunk sizes (K, M)")
    parser.add_argument("--host", default="connect23-2019", help="fetch: a PowerShell 5.1 host")
    parser.add_argument("--size-mib", type=int, default=128, help="fetch: the file's size")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks, args.db_mib, args.size_mib, args.runs = (QUICK["chunks"], QUICK["db_mib"], QUICK["size_mib"],
                                                              QUICK["runs"])
    if not lab_running():
        return 1
    rows: list[dict] = []
    if args.section in ("sweep", "all"):
        chunks = [parse_size(c) for c in args.chunks.split(",") if c.strip()]
        rows += sweep(args.legacy_host, args.db_mib, chunks, args.runs)
        print(sweep_table([r for r in rows if r["section"] == "sweep"]) + "\n")
    if args.section in ("fetch", "all"):
        rows += fetch_compare(args.host, args.size_mib, args.runs)
        print(fetch_table([r for r in rows if r["section"] == "fetch"]) + "\n")
    measured = ratios(rows)
    for key, value in measured.items():
        print(f"{key}: {value:.2f}")
    found = targets(rows)
    failed = report_targets(found)
    print(f"JSON: {write_json(args.json, document('bench_backup', argv, args.quick, rows, measured, found))}")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
