"""The lab's answer to services.ps1 (lab/powershell/scripts/services.py), sent as sync_services sends it: the SCM's
rules hold (a disabled service does not start; a service with running dependents does not stop), and the
errors are the cmdlets' own."""

from __future__ import annotations

from lab.config import PROFILES_DIR
from lab.powershell.scripts import PROJECT_SCRIPTS
from lab.twin.host import Twin
from plugins.plugin_utils import _script

OFF = {"start_mode": "disabled", "state": "stopped"}


def run(twin: Twin, services, apply=True) -> dict:
    script = _script.build("services", {"services": services, "apply": apply})
    answer = PROJECT_SCRIPTS["stdin-script"](twin, _script.STDIN_BOOTSTRAP, script.encode("utf-8"))
    assert answer.rc == 0, answer.stderr
    return _script.parse_document(answer.stdout, "services")["services"]


def dirsync() -> Twin:
    return Twin.from_profile("d", "dirsync_2008r2", PROFILES_DIR)


def test_reading_changes_nothing_and_reports_state_and_start_mode():
    twin = dirsync()
    doc = run(twin, [{"name": "MSOnline", **OFF}], apply=False)
    assert doc == {"error": None, "services": [{"name": "MSOnline", "exists": True, "state": "running",
                                                "start_mode": "auto"}]}
    assert twin.services.get("MSOnline").state == "running"


def test_the_engine_is_stopped_and_disabled_then_back_as_it_was():
    twin = dirsync()
    doc = run(twin, [{"name": "MSOnline", **OFF}, {"name": "FIMSynchronizationService", **OFF}])
    assert doc["error"] is None and all(s["state"] == "stopped" and s["start_mode"] == "disabled" for s in doc["services"])
    back = run(twin, [{"name": "FIMSynchronizationService", "start_mode": "auto", "state": "running"},
                      {"name": "MSOnline", "start_mode": "delayed", "state": "running"}])
    assert [(s["state"], s["start_mode"]) for s in back["services"]] == [("running", "auto"), ("running", "delayed")]


def test_a_service_with_a_running_dependent_does_not_stop_and_the_error_says_so():
    twin = dirsync()
    dependency = twin.services.get("FIMSynchronizationService").dependencies[0]
    doc = run(twin, [{"name": dependency, "state": "stopped"}])
    assert "cannot be stopped due to the following error" in doc["error"]
    assert twin.services.get(dependency).state == "running"


def test_a_disabled_service_does_not_start():
    twin = dirsync()
    run(twin, [{"name": "MSOnline", **OFF}])
    doc = run(twin, [{"name": "MSOnline", "state": "running"}])
    assert "cannot be started" in doc["error"] and twin.services.get("MSOnline").state == "stopped"

