"""The AWX workflow's premise (docs/awx.md, docs/handoff.md): a handoff in `stop` mode plus an approval (the
operator does the wizard step, then the same job runs again) ends where `wait` mode ends.

One in-place server (connect24-staging-2022, no prerequisite fix needed). Run A: upgrade.yml in `wait` mode with the
lab's autopilot doing the wizard step. Run B, on the server reset to its profile: upgrade.yml in `stop` mode (the job
ends at the handoff), the operator's wizard step on the lab (the approval node), upgrade.yml in `stop` mode again.
The servers' twins afterwards are equal apart from clock times, and so are the published results.
"""

from __future__ import annotations

import re

from tests.labfixture import latest_report

HOST = "connect24-staging-2022"
# what only the clock makes different: file times, run-history times, and the timestamp in the name of the file
# the Entra Connect installer writes (Applied-SynchronizationPolicy-<yyyymmdd-hhmmss>.json)
CLOCK_KEYS = {"mtime", "StartDate", "EndDate"}
STAMP = re.compile(r"\d{8}-\d{6}")


def without_clock(value):
    if isinstance(value, dict):
        return {STAMP.sub("<stamp>", k) if isinstance(k, str) else k: without_clock(v)
                for k, v in value.items() if k not in CLOCK_KEYS}
    if isinstance(value, list):
        return [without_clock(v) for v in value]
    return STAMP.sub("<stamp>", value) if isinstance(value, str) else value


def differences(a, b, path: str = "") -> list[str]:
    """Where two states differ (for the failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str)
                for d in ([f"{path}/{k}: only in {'A' if k in a else 'B'}"] if (k in a) != (k in b)
                          else differences(a[k], b[k], f"{path}/{k}"))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {str(a)[:80]} != {str(b)[:80]}"]


def published() -> dict:
    return next(h for h in latest_report()["hosts"] if h["host"] == HOST)


def steps(result: dict) -> list[tuple[str, str]]:
    return [(s["name"], s["status"]) for s in result["upgrade"]["steps"]]


def outcome(result: dict) -> dict:
    """The published upgrade result without its steps (compared below, split over B's jobs) and the automatic-upgrade
    conditions (they quote the version the job found at its start)."""
    return {k: v for k, v in result["upgrade"].items() if k not in ("steps", "auto_upgrade")}


def test_stop_mode_then_the_operators_step_then_a_rerun_ends_where_wait_mode_ends(lab, tmp_path):
    def upgrade(run: str, *extra: str):  # each run its own backup folder, kept between B's two jobs (as in AWX)
        return lab.playbook("upgrade.yml", "--limit", HOST, "-e", f"sync_backup_dir={tmp_path / run}", *extra)

    try:
        # A: wait mode, the autopilot does the step while the run polls
        lab.reset(HOST)
        lab.autopilot(True, delay=1)
        run_a = upgrade("a", "-e", "sync_handoff_mode=wait")
        lab.autopilot(False)
        assert run_a.rc == 0 and run_a.failures() == {}, run_a.stdout[-3000:]
        twin_a, result_a = lab.twin(HOST).to_dict(), published()
        assert result_a["upgrade"]["state"] == "done"

        # B: stop mode (AWX's job), the operator's step (the approval node), the same job again
        lab.reset(HOST)
        first = upgrade("b", "-e", "sync_handoff_mode=stop")
        assert first.rc == 0 and first.failures() == {}, first.stdout[-3000:]
        stopped = published()
        assert stopped["upgrade"]["state"] == "waiting" and stopped["upgrade"]["waiting"]["step"] == "upgrade"
        assert lab.twin(HOST).state["sync"]["version"] != twin_a["sync"]["version"]  # the job did not do the step
        assert lab.operator(HOST).returncode == 0
        second = upgrade("b", "-e", "sync_handoff_mode=stop")
        assert second.rc == 0 and second.failures() == {}, second.stdout[-3000:]
        twin_b, result_b = lab.twin(HOST).to_dict(), published()
    finally:
        lab.autopilot(False)

    assert differences(without_clock(twin_a), without_clock(twin_b)) == []
    assert outcome(result_b) == outcome(result_a)  # state done, verification passed with the same checks
    assert result_a["upgrade"]["verify"]["status"] == "passed"
    # the same steps, split over the two jobs: the first stops at the handoff (published as `waiting`, not as a
    # step), the second goes on after it; in wait mode the handoff is a step of its own, done
    handoff = ("upgrade (operator handoff)", "done")
    assert handoff in steps(result_a)
    assert steps(stopped) + [handoff] + steps(result_b) == steps(result_a)
    lab.reset(HOST)
