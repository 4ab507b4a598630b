"""The registry model (lab/twin/registry.py): names, typed values."""

from __future__ import annotations

import pytest

from lab.twin.registry import Registry, RegistryError, checked_data, dotnet_value


def test_registry_is_case_insensitive_and_keeps_case():
    reg = Registry()
    reg.set_value("HKLM:\\SOFTWARE\\Microsoft\\Azure AD Connect", "WizardPath", "string", "C:\\x")
    assert reg.get_value("HKEY_LOCAL_MACHINE\\software\\microsoft\\AZURE AD CONNECT", "wizardpath")["data"] == "C:\\x"
    assert reg.subkeys("HKLM\\SOFTWARE\\Microsoft") == ["Azure AD Connect"]
    assert reg.key_path("hklm\\software\\microsoft\\azure ad connect") == "HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect"
    with pytest.raises(RegistryError):
        reg.set_value("HKXX\\nope", "a", "string", "b")


@pytest.mark.parametrize("vtype,data", [("dword", "1"), ("dword", 2**32), ("qword", 1.5), ("multistring", "x"),
                                        ("binary", [256]), ("nope", 1)])
def test_data_windows_cannot_hold_is_refused(vtype, data):
    with pytest.raises(RegistryError):
        checked_data(vtype, data)


def test_dotnet_reads_dwords_unsigned_and_strings_unexpanded():
    assert dotnet_value({"type": "dword", "data": checked_data("dword", -1)}) == 0xFFFFFFFF
    assert dotnet_value({"type": "expandstring", "data": "%SystemRoot%"}) == "%SystemRoot%"
    assert dotnet_value({"type": "string", "data": None}) == ""
