"""Accounts and the WinRM logon's token (lab/twin/accounts.py)."""

from __future__ import annotations

import pytest

from lab.twin.errors import NotSimulated
from tests.twins import build_twin


def names(token) -> list[str]:
    return [f"{g['domain_name']}\\{g['account_name']}" for g in token["groups"]]


def test_a_local_administrator_on_a_member_server():
    twin = build_twin({"hostname": "SRV1", "groups": {"ADSyncAdmins": ["labadmin"]}})
    token = twin.accounts.token("labadmin", "ntlm")
    assert token["administrator"] is True
    assert token["account"]["domain_name"] == "SRV1" and token["account"]["type"] == "User"
    assert token["account"]["sid"].startswith("S-1-5-21-") and token["account"]["sid"].endswith("-1000")
    assert {"BUILTIN\\Administrators", "BUILTIN\\Users", "SRV1\\ADSyncAdmins", "SRV1\\None",
            "NT AUTHORITY\\Local account and member of Administrators group"} <= set(names(token))
    admins = next(g for g in token["groups"] if g["sid"] == "S-1-5-32-544")
    assert admins["attributes"] == ["Mandatory", "Enabled by default", "Enabled", "Owner"]
    assert token["label"]["sid"] == "S-1-16-12288"
    assert "SeNetworkLogonRight" in token["rights"] and "SeBackupPrivilege" in token["privileges"]


def test_a_user_who_is_not_an_administrator_gets_a_medium_token():
    twin = build_twin({"hostname": "SRV1", "groups": {"Administrators": ["Administrator"],
                                                      "Remote Management Users": ["labadmin"]}})
    token = twin.accounts.token("labadmin", "ntlm")
    assert token["administrator"] is False
    assert "BUILTIN\\Administrators" not in names(token) and "BUILTIN\\Remote Management Users" in names(token)
    assert (token["label"]["account_name"], token["rights"]) == ("Medium Mandatory Level", [])


def test_on_a_domain_controller_the_account_and_its_groups_are_the_domains():
    twin = build_twin({"hostname": "DC1", "domain": "corp.contoso.com", "domain_role": "backup_domain_controller",
                       "groups": {"ADSyncAdmins": ["labadmin"]}})
    token = twin.accounts.token("labadmin", "ntlm")
    assert token["account"]["domain_name"] == "CORP"
    assert "CORP\\ADSyncAdmins" in names(token) and "CORP\\Domain Users" in names(token)
    assert not [n for n in names(token) if "Local account" in n]


def test_sids_are_stable_per_host_and_differ_between_hosts():
    first = build_twin({"hostname": "A"}).accounts.user("labadmin")["sid"]
    assert first == build_twin({"hostname": "A"}).accounts.user("labadmin")["sid"]
    assert first != build_twin({"hostname": "B"}).accounts.user("labadmin")["sid"]


def test_only_ntlm_logons_are_modeled():
    with pytest.raises(NotSimulated, match="basic logon"):
        build_twin({}).accounts.token("labadmin", "basic")
