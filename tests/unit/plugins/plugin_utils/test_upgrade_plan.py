"""The upgrade's plan knowledge: settings methods, auto-upgrade eligibility, the handoff step catalog."""

from __future__ import annotations

import pytest

from plugins.plugin_utils import _upgrade_plan as plan


@pytest.mark.parametrize(("facts", "method"), [
    ({"tool": "connect", "version": "2.4.131.0"}, "json_export"),
    ({"tool": "connect", "version": "1.5.42.0"}, "json_export"),
    ({"tool": "connect", "version": "1.5.30.0"}, "migrate_settings"),
    ({"tool": "connect", "version": "unknown"}, "unknown"),
    ({"tool": "dirsync", "version": "1.0.7020.0"}, "dirsync_export"),
    ({"tool": "aadsync", "version": "1.0.494.0501"}, "manual"),
    ({"tool": "mim_connector", "version": "4.6.0.0"}, "manual"),
    ({"tool": "none"}, "unknown"), (None, "unknown")])
def test_settings_method_follows_microsofts_documented_transfer(facts, method):
    out = plan.settings_method(facts)
    assert out["method"] == method and out["why"]


def _connect(**over):
    facts = {"tool": "connect", "version": "2.3.20.0", "auto_upgrade": "Enabled", "object_count": 40_000,
             "database": {"type": "localdb", "size_mb": 1200}, "tls12": {"enabled": True}}
    facts.update(over)
    return facts


def test_an_express_like_connect_server_is_eligible_with_what_cannot_be_read_listed():
    out = plan.auto_upgrade_eligibility(_connect())
    assert out["eligible"] is True and out["unmet"] == []
    assert any("MSOL_" in u for u in out["unverified"])


@pytest.mark.parametrize(("over", "words"), [
    ({"database": {"type": "sql", "size_mb": 100}}, "LocalDB"),
    ({"database": {"type": "localdb", "size_mb": 9000}}, "below 8 GB"),
    ({"object_count": 150_000}, "fewer than 100,000"),
    ({"auto_upgrade": "Suspended"}, "Suspended"),
    ({"version": "2.2.8.0"}, "at least 2.3.20.0"),
    ({"tls12": {"enabled": False}}, "TLS 1.2")])
def test_each_unmet_condition_makes_it_ineligible(over, words):
    out = plan.auto_upgrade_eligibility(_connect(**over))
    assert out["eligible"] is False and any(words in u for u in out["unmet"])


def test_unknowns_stay_unverified_and_never_make_it_ineligible():
    out = plan.auto_upgrade_eligibility(_connect(object_count=None, database={"type": "unknown"}))
    assert out["eligible"] is True
    assert any("metaverse" in u for u in out["unverified"]) and any("LocalDB" in u for u in out["unverified"])


def test_only_connect_upgrades_itself():
    assert plan.auto_upgrade_eligibility({"tool": "dirsync"})["eligible"] is False


CTX = {"computer": "AADC01", "installer": "C:\\ProgramData\\EntraSyncUpgrade\\installer\\AzureADConnect.msi",
       "sha256": "ab" * 32, "version": "2.5.190.0", "settings": "C:\\ProgramData\\EntraSyncUpgrade\\settings\\x",
       "source": "old", "export_to": "C:\\Export\\dirsync.xml", "installer_from": "target-2022:C:\\x.msi",
       "object_count": 30_000, "connectors": 2, "source_summary": ["corp.contoso.com (AD)"]}


@pytest.mark.parametrize("step", plan.STEPS)
def test_every_step_says_what_to_do_and_what_the_run_then_sees(step):
    out = plan.handoff_step(step, CTX)
    assert out["step"] == step and out["title"] and len(out["instructions"]) >= 3
    assert out["expect"] and all(c["text"] and c["fact"] for c in out["expect"])
    assert all(isinstance(v, str) for v in out["parameters"].values())


def test_the_upgrade_waits_for_the_target_version_and_a_running_engine():
    facts = {c["fact"]: c for c in plan.handoff_step("upgrade", CTX)["expect"]}
    assert facts["version"]["at_least"] == "2.5.190.0" and facts["services.ADSync.state"]["equals"] == "running"


def test_the_install_waits_for_staging_mode_and_the_imported_connectors():
    facts = {c["fact"]: c for c in plan.handoff_step("install_import", {**CTX, "connectors": 3})["expect"]}
    assert facts["staging_mode"]["equals"] is True and facts["connectors"]["count_at_least"] == 3


@pytest.mark.parametrize(("count", "words"), [(30_000, "/ForceExport"), (62_000, "select Export settings")])
def test_dirsync_export_uses_forceexport_only_below_the_threshold(count, words):
    text = "\n".join(plan.handoff_step("dirsync_export", {**CTX, "object_count": count})["instructions"])
    assert words in text


def test_an_unknown_step_is_refused():
    with pytest.raises(ValueError, match="unknown handoff step"):
        plan.handoff_step("cutover_now", CTX)


def test_the_runbook_shows_every_step_as_the_run_prints_it():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[4]
    spec = importlib.util.spec_from_file_location("runbook_steps", root / "scripts" / "runbook_steps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.section() in (root / "docs" / "runbook.md").read_text(encoding="utf-8"), (
        "docs/runbook.md is out of date: run .venv/bin/python scripts/runbook_steps.py --write")
