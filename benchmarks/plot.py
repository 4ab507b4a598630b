"""Plot of the fleet benchmark: assessment wall time against N, the toolkit and the naive baseline, one line per
forks value (from docs/performance/fleet.json, written by benchmarks/bench_fleet.py).

    .venv/bin/python benchmarks/plot.py [--json docs/performance/fleet.json] [--out docs/performance/assess-wall-time.png]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_JSON = REPO / "docs" / "performance" / "fleet.json"
DEFAULT_PNG = REPO / "docs" / "performance" / "assess-wall-time.png"
STYLE = {"toolkit": "-", "baseline": "--"}
LABEL = {"toolkit": "toolkit (assess.yml)", "baseline": "naive baseline"}


def series(runs: list[dict]) -> dict[tuple[str, int], list[tuple[int, float]]]:
    """(playbook, forks) -> [(N, wall seconds)] sorted by N: one line of the plot each."""
    lines: dict[tuple[str, int], list[tuple[int, float]]] = {}
    for run in runs:
        lines.setdefault((run["playbook"], run["forks"]), []).append((run["n"], run["wall_s"]))
    return {key: sorted(points) for key, points in sorted(lines.items())}


def plot(result: dict, out: Path) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # no display: a file only
    import matplotlib.pyplot as plt

    lines = series(result["results"])
    forks = sorted({f for _, f in lines})
    colours = {f: plt.get_cmap("viridis")(i / max(1, len(forks) - 1) * 0.85) for i, f in enumerate(forks)}
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for (playbook, f), points in lines.items():
        ax.plot([n for n, _ in points], [s for _, s in points], STYLE[playbook], marker="o", color=colours[f],
                label=f"{LABEL[playbook]}, forks {f}")
    machine = result.get("machine", {})
    ax.set_xlabel("hosts (N)")
    ax.set_ylabel("wall time (s)")
    ax.set_xticks(sorted({n for points in lines.values() for n, _ in points}))
    ax.set_title("Fleet assessment: wall time against N")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    mode = "quick" if result.get("quick") else "full"
    fig.text(0.01, 0.01, f"{machine.get('date', '')}, {mode} mode, {machine.get('cpus', '?')} CPUs, "
             f"ansible-core {machine.get('ansible_core', '?')}; the baseline fails the PowerShell 2.0-4.0 hosts",
             fontsize=7, alpha=0.7)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--out", type=Path, default=DEFAULT_PNG)
    args = parser.parse_args(argv)
    if not args.json.exists():
        print(f"no results in {args.json}: run benchmarks/bench_fleet.py first", file=sys.stderr)
        return 1
    print(f"plot: {plot(json.loads(args.json.read_text()), args.out)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
