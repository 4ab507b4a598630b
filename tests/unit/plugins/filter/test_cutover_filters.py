"""Small filters of the cutover and rollback: add_step, export_state, project_dir."""

from __future__ import annotations

import pytest

from plugins.filter.add_step import add_step
from plugins.filter.project_dir import project_dir
from plugins.plugin_utils._verify import export_state


def test_add_step_appends_the_step_and_its_plan_without_changing_the_input():
    result = {"status": "running", "steps": [], "plan": ["a"]}
    out = add_step(result, "old engine off", {"status": "planned", "evidence": "x", "plan": ["b"]})
    assert out["steps"] == [{"name": "old engine off", "status": "planned", "evidence": "x", "plan": ["b"]}]
    assert out["plan"] == ["a", "b"] and result["steps"] == []
    assert add_step(out, "s", {"skipped": True})["steps"][-1]["status"] == "unchanged"
    assert add_step(out, "s", {"changed": True, "msg": "m"})["steps"][-1] == {"name": "s", "status": "done",
                                                                             "evidence": "m", "plan": []}


def run(connector, profile, result):
    return {"connector": connector, "run_profile": profile, "result": result}


def test_export_state_is_judged_by_each_connector_s_newest_export():
    assert export_state([run("AD", "Full Import", "success")]) == {"exported": False, "verified": False, "failed": [],
                                                                   "connectors": []}
    runs = [run("AD", "Export", "completed-export-errors"), run("AAD", "Export", "success"), run("AD", "Export", "success")]
    assert export_state(runs) == {"exported": True, "verified": True, "failed": [], "connectors": ["AAD", "AD"]}
    assert export_state(runs[:2])["failed"] == ["AD"] and not export_state(runs[:2])["verified"]


@pytest.mark.parametrize(("playbook_dir", "project"), [
    ("/p", "/p"), ("/p/playbooks", "/p"), ("/p/playbooks/plays", "/p"), ("/p/plays", "/p/plays")])
def test_project_dir(playbook_dir, project):
    assert project_dir(playbook_dir) == project
