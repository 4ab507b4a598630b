"""Settings (sync_settings) end to end against the lab: real Ansible, real WinRM.

The JSON export of a Connect 2.4 source arrives verified and owner-only; pushed to its new server it is verified
there; the current Connect host's Get-ADSyncServerConfiguration export compares with the source's settings;
a second run changes nothing; check mode changes nothing on any server or the controller.
"""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

from plugins.plugin_utils import _config_diff

SOURCE, TARGET, CONNECT = "connect24-fullsql-2019", "target-2022-e", "connect-current-2022"
HOSTS = [SOURCE, TARGET, CONNECT]
PUSHED = r"C:\ProgramData\EntraSyncUpgrade\settings" + "\\" + SOURCE


def plays(dest: Path) -> list[dict]:
    settings = "entra.sync_upgrade.sync_settings"
    return [
        {"hosts": SOURCE, "gather_facts": False, "tasks": [
            {"name": "Export", settings: {"operation": "export", "method": "json_export", "dest": str(dest)}}]},
        {"hosts": TARGET, "gather_facts": False, "tasks": [
            {"name": "Push", settings: {"operation": "push", "source": SOURCE,
                                        "src": str(dest / SOURCE / "json_export")}}]},
        {"hosts": CONNECT, "gather_facts": False, "tasks": [
            {"name": "Export config", settings: {"operation": "export_config", "dest": str(dest)}}]},
    ]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_export_push_and_export_config_verified_owner_only_and_idempotent(lab, tmp_path):
    lab.reset(*HOSTS)
    run = lab.playbook(plays(tmp_path))
    assert run.rc == 0 and run.failures() == {}, run.stderr[-3000:]
    exported, pushed, config = run.results("Export")[SOURCE], run.results("Push")[TARGET], \
        run.results("Export config")[CONNECT]
    assert exported["status"] == "done" and exported["located"].endswith(
        "Applied-SynchronizationPolicy-20250214-091544.json")
    folder = tmp_path / SOURCE / "json_export"
    manifest = json.loads((folder / "manifest.json").read_text())
    [entry] = manifest["files"]
    local = folder / entry["name"]
    assert hashlib.sha256(local.read_bytes()).hexdigest() == entry["sha256"]
    assert mode(folder) == 0o700 and mode(local) == 0o600 and mode(folder / "manifest.json") == 0o600
    assert pushed["status"] == "done" and pushed["remote_folder"] == PUSHED
    twin = lab.twin(TARGET)
    assert twin.files.read(PUSHED + "\\" + entry["name"]) == local.read_bytes()
    assert config["status"] == "done" and len(config["files"]) == 42
    # the source's settings and the current host's configuration: the same rules, other connectors
    result = _config_diff.compare(_config_diff.load(folder), _config_diff.load(tmp_path / CONNECT / "export_config"))
    assert result["compared"] == ["global", "connector", "partition", "attribute_inclusion", "rule"]
    # the two servers sync different tenants (lab/profiles): exactly that differs outside the rules
    tenants = (lab.twin(SOURCE).state["sync"]["tenant"], lab.twin(CONNECT).state["sync"]["tenant"])
    assert tenants[0] != tenants[1]
    assert sorted((r["area"], r["name"], r["property"], r["source"], r["target"]) for r in result["rows"]
                  if r["area"] != "rule") == sorted([
        ("connector", f"{tenants[0]} - AAD", "present", True, False),
        ("connector", f"{tenants[1]} - AAD", "present", False, True),
        ("global", "global", "tenant", *tenants)])

    digest = lab.digest(*HOSTS)
    again = lab.playbook(plays(tmp_path))
    assert again.rc == 0 and again.changed() == 0, again.stats
    assert {again.results(t)[h]["status"] for t, h in (("Export", SOURCE), ("Push", TARGET),
                                                       ("Export config", CONNECT))} == {"unchanged"}
    assert lab.digest(*HOSTS) == digest


def test_check_mode_changes_nothing_on_the_servers_or_the_controller(lab, tmp_path):
    lab.reset(*HOSTS)
    fetched = lab.playbook(plays(tmp_path)[:1])  # the push plans from settings already on the controller
    assert fetched.rc == 0 and fetched.failures() == {}, fetched.stderr[-3000:]
    before, controller = lab.digest(*HOSTS), sorted(tmp_path.rglob("*"))
    run = lab.playbook(plays(tmp_path / "new")[::2], check=True)
    assert run.rc == 0 and run.failures() == {}, run.stderr[-3000:]
    assert run.results("Export")[SOURCE]["status"] == "planned"
    assert run.results("Export config")[CONNECT]["status"] == "planned"
    push = lab.playbook(plays(tmp_path)[1:2], check=True).results("Push")[TARGET]
    assert push["status"] == "planned" and push["plan"] == [f"copy {push['files'][0]['name']} to {PUSHED}"]
    assert lab.digest(*HOSTS) == before
    assert sorted(tmp_path.rglob("*")) == controller


def test_migrate_settings_runs_the_wizards_script_fetched_from_another_host(lab, tmp_path):
    # the new server's wizard folder is stood in for by the current Connect host's (the same Tools file)
    lab.reset("connect1-2016", CONNECT)
    tools = r"C:\Program Files\Microsoft Azure Active Directory Connect\Tools\MigrateSettings.ps1"
    settings = "entra.sync_upgrade.sync_settings"
    fetch = [{"hosts": CONNECT, "gather_facts": False, "tasks": [
        {"name": "Wizard file", settings: {"operation": "fetch_wizard_file", "path": tools, "dest": str(tmp_path)}}]}]
    wizard = lab.playbook(fetch).results("Wizard file")[CONNECT]
    assert wizard["status"] == "done"
    [script] = wizard["files"]
    local = Path(wizard["path"]) / script["name"]
    migrate = [{"hosts": "connect1-2016", "gather_facts": False, "tasks": [
        {"name": "Migrate", settings: {"operation": "export", "method": "migrate_settings", "dest": str(tmp_path),
                                       "script": str(local), "script_sha256": script["sha256"]}}]}]
    before = lab.digest("connect1-2016")
    planned = lab.playbook(migrate, check=True).results("Migrate")["connect1-2016"]
    assert planned["status"] == "planned" and lab.digest("connect1-2016") == before
    ran = lab.playbook(migrate).results("Migrate")["connect1-2016"]
    assert ran["status"] == "done" and ran["signer"]["status"] == "Valid", ran
    assert "\\Exported-ServerConfiguration-" in ran["located"]
    model = _config_diff.load(ran["path"])
    assert model["kind"] == "migrate_settings" and "tailspintoys.onmicrosoft.com - AAD" in model["connectors"]
    again = lab.playbook(migrate).results("Migrate")["connect1-2016"]
    assert again["status"] == "unchanged" and again["located"] == ran["located"]  # the folder it wrote is reused
    bad = [{**migrate[0], "tasks": [{"name": "Migrate", settings: {
        **migrate[0]["tasks"][0][settings], "refresh": True, "script_sha256": "0" * 64}}]}]
    refused = lab.playbook(bad).results("Migrate")["connect1-2016"]
    assert refused["failed"] and "does not have the SHA-256" in refused["msg"]
