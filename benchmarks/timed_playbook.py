"""Shared by the benchmarks: run a playbook against the lab and time it (wall clock, as a user waits for it), read
what the lab's logs say moved, print Markdown tables and write a benchmark's results as JSON.

The JSON every benchmark writes (write_json):
    {"benchmark": "bench_installer", "quick": false, "command": "benchmarks/bench_installer.py --quick ...",
     "machine": {"cpus", "python", "ansible_core", "platform", "load_average", "date"},
     "results": [one object per table row], "ratios": {"name": number}, "targets": [target(), ...]}
Each script's docstring says what its rows and ratios hold."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from ansible.release import __version__ as ansible_core

from lab import cli, config
from lab.wsman import requestlog
from tests.labfixture import env

RESULT_MARK = "BENCH-RESULT "


def run_playbook(plays: list[dict]) -> tuple[float, subprocess.CompletedProcess]:
    """(seconds `ansible-playbook` took for these plays, the finished process); the caller judges failure."""
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=config.home(), delete=False) as fh:
        fh.write(yaml.safe_dump(plays, sort_keys=False))
    try:
        start = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), fh.name], cwd=config.REPO,
                              env={**env(), "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default",
                                   "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"},  # what the parsers below read
                              capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    finally:
        Path(fh.name).unlink()
    return elapsed, proc


def timed_playbook(plays: list[dict]) -> float:
    """Seconds `ansible-playbook` took for these plays; exits with its output when it fails."""
    elapsed, proc = run_playbook(plays)
    if proc.returncode != 0:
        raise SystemExit(f"the playbook failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return elapsed


def report_task(variable: str) -> dict:
    """A task that prints a fact as one JSON line, which published_result() reads back from the output."""
    return {"name": "Report " + variable, "ansible.builtin.debug": {
        "msg": RESULT_MARK + "{{ " + variable + " | to_json }}"}}


def published_result(stdout: str) -> dict | None:
    """The last fact report_task() printed (the callback prints it as a JSON string holding JSON)."""
    found = re.findall(r'"msg": "(' + re.escape(RESULT_MARK) + r'(?:[^"\\]|\\.)*)"', stdout)
    return json.loads(json.loads(f'"{found[-1]}"')[len(RESULT_MARK):]) if found else None


def failure_message(stdout: str) -> str:
    """The `msg` of the failed task in the default callback's output (for a refusal the table reports)."""
    match = re.search(r'fatal: \[[^\]]+\]: FAILED! => .*?"msg": "((?:[^"\\]|\\.)*)"', stdout, re.S)
    return json.loads(f'"{match.group(1)}"') if match else stdout.strip().splitlines()[-1]


def winrm_log(host: str) -> list[dict]:
    """The host's WinRM request log (`python -m lab reset HOST` empties it)."""
    return requestlog.read(config.log_dir() / f"{host}.jsonl")


def winrm_commands(entries: list[dict]) -> list[dict]:
    """The log's commands in order, each with its requests: {start, end, requests, receives, stdin, bytes_in,
    bytes_out, largest_in, largest_out} (the largest request and reply).
    A Send, Receive or Signal belongs to the last Command on its connection."""
    commands: list[dict] = []
    current: dict[int, dict] = {}
    for e in entries:
        if e.get("op") == "Command":
            current[e.get("conn")] = cmd = {"start": e["ts"], "end": e["ts"], "requests": 0, "receives": 0,
                                            "stdin": 0, "bytes_in": 0, "bytes_out": 0, "largest_in": 0, "largest_out": 0}
            commands.append(cmd)
        cmd = current.get(e.get("conn"))
        if cmd is None or e.get("op") not in ("Command", "Send", "Receive", "Signal"):
            continue
        cmd["end"] = e["ts"]
        cmd["requests"] += 1
        cmd["receives"] += e["op"] == "Receive"
        cmd["stdin"] += e.get("stdin_bytes", 0)
        cmd["bytes_in"] += e.get("bytes_in", 0)
        cmd["bytes_out"] += e.get("bytes_out", 0)
        cmd["largest_in"] = max(cmd["largest_in"], e.get("bytes_in", 0))
        cmd["largest_out"] = max(cmd["largest_out"], e.get("bytes_out", 0))
    return commands


def machine() -> dict:
    """What the numbers were measured on; the load average says how busy the (shared) machine was."""
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "ansible_core": ansible_core,
            "platform": platform.platform(), "load_average": [round(x, 2) for x in os.getloadavg()],
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def target(name: str, met: bool, hard: bool, detail: str) -> dict:
    """One of the issue's targets as measured: a hard one that is missed makes the benchmark exit 1."""
    return {"name": name, "met": bool(met), "hard": hard, "detail": detail}


def report_targets(targets: list[dict]) -> int:
    """Print each target's verdict (a missed hard one on stderr, as FAILED); 1 if a hard target was missed."""
    failed = 0
    for t in targets:
        verdict = "met" if t["met"] else ("FAILED" if t["hard"] else "missed (not a hard target)")
        print(f"target {t['name']}: {verdict}: {t['detail']}", file=sys.stdout if t["met"] or not t["hard"]
              else sys.stderr)
        failed |= t["hard"] and not t["met"]
    return 1 if failed else 0


def markdown_table(columns: list[tuple[str, str]], rows: list[list]) -> str:
    """A Markdown table: columns are (title, "l" or "r"); cells are printed as given (str() of them)."""
    lines = ["| " + " | ".join(title for title, _ in columns) + " |",
             "|" + "|".join("---:" if align == "r" else "---" for _, align in columns) + "|"]
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} cells in a table of {len(columns)} columns: {row}")
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return "\n".join(lines)


def document(name: str, argv: list[str], quick: bool, results: list[dict], ratios: dict, targets: list[dict]) -> dict:
    return {"benchmark": name, "quick": quick, "command": " ".join(["benchmarks/" + name + ".py", *argv]),
            "machine": machine(), "results": results, "ratios": ratios, "targets": targets}


def write_json(path: str, doc: dict) -> Path:
    """Write the document (relative paths are the repository's) and return where it went."""
    out = Path(path)
    if not out.is_absolute():
        out = config.REPO / out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    return out


def lab_running() -> bool:
    """Whether this checkout's lab runs (the benchmarks measure it, they do not start it)."""
    if cli._pid() is None:
        print("the lab is not running: start it first (make lab-up, or .venv/bin/python -m lab up)", file=sys.stderr)
        return False
    return True
