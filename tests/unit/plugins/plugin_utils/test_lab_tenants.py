"""The lab's estate and R-TENANT-TWO-ACTIVE: each active lab server syncs its own tenant, so the rule blocks none of
them; the profile's Entra connector name and its tenant agree."""

from __future__ import annotations

from lab.config import PROFILES_DIR, load_hosts
from lab.twin import syncconfig
from lab.twin.host import Twin
from plugins.plugin_utils._activity import activity
from plugins.plugin_utils._classify import classify
from plugins.plugin_utils._decide import DEFAULT_POLICY, decide, load_policy
from tests.unit.plugins.plugin_utils.test_classify import lab_evidence


def test_no_two_active_lab_servers_share_a_tenant_and_the_rule_blocks_none():
    hosts = [h for h in load_hosts() if h.profile != "target_2022_clean"]
    facts = {h.name: classify(lab_evidence(Twin.from_profile(h.name, h.profile, PROFILES_DIR, h.hostname)))
             for h in hosts}
    servers = [{"host": name, "tenant": f["tenant"], **activity(f)} for name, f in facts.items()]
    active = [s for s in servers if s["active"] and s["tenant"] != "unknown"]  # DirSync's tenant is never seen
    assert len(active) >= 6 and len({s["tenant"] for s in active}) == len(active), active
    staging = next(s for s in servers if s["host"] == "connect24-staging-2022")
    assert staging["active"] is False and staging["tenant"] == "contoso.onmicrosoft.com"  # connect23-2019's standby
    policy = load_policy(DEFAULT_POLICY)
    for name, f in facts.items():
        others = [s for s in servers if s["host"] != name]
        d = decide(f, policy, {"tenant_servers": others}, "2026-11-25")
        assert not [b for b in d["blockers"] if b["rule"] == "R-TENANT-TWO-ACTIVE"], (name, d["blockers"])


def test_every_profile_s_entra_connector_is_named_after_its_tenant():
    for path in PROFILES_DIR.glob("*.yml"):
        twin = Twin.from_profile("h", path.stem, PROFILES_DIR)
        tenant = syncconfig.tenant_of(twin)
        for connector in twin.state["sync"].get("connectors") or []:
            if connector["name"].endswith(" - AAD"):
                assert connector["name"] == f"{tenant} - AAD", path.stem
        if twin.files.exists(f"{syncconfig.AADCONNECT_DATA}\\PersistedState.xml"):
            text = twin.files.read(f"{syncconfig.AADCONNECT_DATA}\\PersistedState.xml").decode()
            assert f"<Value>{tenant}</Value>" in text, path.stem
