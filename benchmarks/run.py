"""Every benchmark, then the plot: what `make bench` runs (`make bench BENCH_ARGS=--quick` for CI size).

Each benchmark runs as a process of its own (its timings and memory are its own) and writes its JSON under
docs/performance/. The fleet benchmark starts its own fleet labs; the installer and backup benchmarks use the
checkout's built-in lab, started here when it is not running (and stopped again after). A failed benchmark does not
stop the others; the exit status says whether all passed.

    .venv/bin/python benchmarks/run.py [--quick] [--only fleet,installer,backup]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lab import cli  # noqa: E402

OUT = REPO / "docs" / "performance"
BENCHMARKS = {  # name -> (script, JSON it writes, needs the built-in lab)
    "fleet": ("benchmarks/bench_fleet.py", OUT / "fleet.json", False),
    "installer": ("benchmarks/bench_installer.py", OUT / "installer.json", True),
    "backup": ("benchmarks/bench_backup.py", OUT / "backup.json", True),
}


def commands(quick: bool, only: list[str]) -> list[tuple[str, list[str], bool]]:
    """(name, argv, needs the built-in lab) of each benchmark to run, in order, then the plot after the fleet."""
    flags = ["--quick"] if quick else []
    steps = []
    for name in only:
        script, json_path, needs_lab = BENCHMARKS[name]
        # relative to the repository (each runs there), so the JSON records no machine's path
        json_arg = str(json_path.relative_to(REPO))
        steps.append((name, [sys.executable, script, *flags, "--json", json_arg], needs_lab))
        if name == "fleet":
            steps.append(("plot", [sys.executable, "benchmarks/plot.py", "--json", json_arg], False))
    return steps


def _lab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lab", *args], cwd=REPO, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="CI size: every benchmark's --quick")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset of "
                        + ", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = [name for name in only if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}")
    started_lab, results, start = False, [], time.perf_counter()
    try:
        for name, argv_, needs_lab in commands(args.quick, only):
            if name == "plot" and results and results[-1][1] != 0:
                results.append((name, None, 0.0))  # nothing to plot without the fleet's results
                continue
            if needs_lab and not started_lab and cli._pid() is None:
                up = _lab("up")
                if up.returncode != 0:
                    print(up.stdout + up.stderr, file=sys.stderr)
                    results.append((name, up.returncode, 0.0))
                    continue
                started_lab = True
            print(f"== {name}: {' '.join(argv_[1:])}", flush=True)
            t = time.perf_counter()
            rc = subprocess.run(argv_, cwd=REPO).returncode
            results.append((name, rc, time.perf_counter() - t))
    finally:
        if started_lab:
            _lab("down")
    print(f"\n== benchmarks ({'quick' if args.quick else 'full'} mode), {time.perf_counter() - start:.0f} s in all")
    for name, rc, seconds in results:
        state = "skipped" if rc is None else "ok" if rc == 0 else f"FAILED (exit {rc})"
        print(f"  {name:10} {state:18} {seconds:6.0f} s")
    return 0 if all(rc == 0 for _, rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
