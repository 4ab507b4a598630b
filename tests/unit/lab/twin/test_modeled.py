"""The modeled rule (lab/twin/modeled.py) on the file system and the registry of real base-layer twins."""

from __future__ import annotations

import pytest

from lab.twin.errors import NotSimulated
from tests.twins import build_twin


@pytest.fixture(scope="module")
def twin():
    return build_twin({"files": {r"C:\Program Files\Microsoft Azure AD Sync\Bin\miiserver.exe": {"size": 1}},
                       "registry": {r"HKLM\SOFTWARE\Microsoft\Azure AD Connect": {"Version": "2.5.190.0"}}})


def test_what_windows_has_exists(twin):
    assert twin.files.exists(r"C:\Windows\System32\cmd.exe")
    assert twin.registry.key_exists(r"HKU\.DEFAULT")
    assert twin.registry.key_exists("HKLM")  # hive roots always exist


@pytest.mark.parametrize("path", [r"C:\Windows\System32\not-a-windows-file.dll", r"C:\Windows\Fonts\x.ttf",
                                  r"C:\Program Files\Common Files\x", r"C:\ProgramData\Microsoft\x"])
def test_unknown_children_of_partial_folders_are_not_simulated(twin, path):
    with pytest.raises(NotSimulated, match="the lab models only part of"):
        twin.files.exists(path)


@pytest.mark.parametrize("path", [r"C:\Staging", r"C:\LabData\deep\file.txt",  # C:\ is complete
                                  r"C:\Program Files\Microsoft Online Directory Sync",  # a product footprint
                                  r"C:\Program Files\Microsoft Azure AD Sync\Bin\nope.dll",  # a product's folder
                                  r"C:\ProgramData\EntraSyncUpgrade"])  # the toolkit's own area
def test_complete_or_modeled_areas_answer_absent(twin, path):
    assert twin.files.exists(path) is False


def test_registry_keys_and_values_follow_the_same_rule(twin):
    assert twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\MSOLCoExistence") is False  # modeled by name
    assert twin.registry.get_value(r"HKLM\SOFTWARE\Microsoft\Azure AD Connect", "WizardPath") is None  # complete
    with pytest.raises(NotSimulated):
        twin.registry.key_exists(r"HKLM\SOFTWARE\Microsoft\Windows\Shell\Nope")
    with pytest.raises(NotSimulated):  # a value Windows may have that the base layer does not list
        twin.registry.get_value(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "RegisteredOrganization")
    # values the base layer models by name: absent unless the version has them
    assert twin.registry.get_value(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "CSDVersion") is None


def test_listing_a_partial_node_is_not_simulated(twin):
    with pytest.raises(NotSimulated, match="listing"):
        twin.files.listdir(r"C:\Windows")
    with pytest.raises(NotSimulated, match="listing"):
        twin.registry.subkeys(r"HKLM\SOFTWARE\Microsoft")
    assert "AddressBook" in twin.registry.subkeys(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall")


def test_what_a_run_creates_is_complete_even_inside_partial_areas():
    twin = build_twin({})
    twin.registry.create_key(r"HKLM\SOFTWARE\LabVendor\App")  # 'Lab*' is the lab's own area
    assert twin.registry.values(r"HKLM\SOFTWARE\LabVendor\App") == {}
    assert twin.registry.key_exists(r"HKLM\SOFTWARE\LabVendor\App\Nope") is False


def test_a_profile_s_implicit_parents_under_partial_folders_stay_partial():
    twin = build_twin({"files": {r"C:\Windows\System32\LabTools\bin\tool.exe": {"size": 1}}})
    assert twin.files.exists(r"C:\Windows\System32\LabTools\bin\tool.exe")
    with pytest.raises(NotSimulated):  # LabTools stands for a real folder the lab does not list
        twin.files.exists(r"C:\Windows\System32\LabTools\other.exe")


def test_removing_a_partial_folder_is_not_simulated(twin):
    with pytest.raises(NotSimulated):
        twin.files.remove(r"C:\Windows\Temp\..\System32")
