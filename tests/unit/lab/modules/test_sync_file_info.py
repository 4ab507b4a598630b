"""The twin of entra.sync_upgrade.sync_file_info (lab/modules/sync_file_info.py)."""

from __future__ import annotations

import hashlib

import pytest

from lab.modules import ModuleContext, ModuleFailed, lookup
from lab.twin import labmsi
from tests.twins import build_twin

DIR = r"C:\ProgramData\EntraSyncUpgrade\installer"
SCRIPT = "ansible_collections.entra.sync_upgrade.plugins.modules.sync_file_info.ps1"


@pytest.fixture
def twin():
    return build_twin({"hostname": "T"})


def run(twin, check=False, **params):
    ctx = ModuleContext(twin, params, check_mode=check, meta={"_ansible_check_mode": check})
    return lookup(SCRIPT).run(ctx)


def test_reports_what_windows_would_for_a_signed_installer(twin):
    body = labmsi.build(200_000, "2.5.190.0")
    twin.files.write(DIR + r"\AzureADConnect.msi", body)
    before = twin.canonical()
    result = run(twin, check=True, path=DIR + r"\AzureADConnect.msi")
    assert twin.canonical() == before and result["changed"] is False
    assert (result["exists"], result["size"], result["sha256"]) == (True, 200_000, hashlib.sha256(body).hexdigest())
    assert result["authenticode"]["status"] == "Valid"
    assert result["authenticode"]["signer_name"] == "Microsoft Corporation"
    assert result["msi"] == {"product_name": labmsi.PRODUCT_NAME, "product_version": "2.5.190.0",
                             "manufacturer": "Microsoft Corporation"}
    assert result["msi_error"] is None


def test_a_missing_file_is_no_error(twin):
    twin.files.mkdir(DIR)
    result = run(twin, path=DIR + r"\AzureADConnect.msi")
    assert result["exists"] is False and result["sha256"] is None and result["authenticode"] is None


def test_a_file_that_is_no_msi(twin):
    twin.files.write(DIR + r"\notes.txt", b"hello")
    result = run(twin, path=DIR + r"\notes.txt", get_checksum=False)
    assert result["sha256"] is None and result["msi"] is None and "OpenDatabase" in result["msi_error"]
    assert result["authenticode"]["status"] == "NotSigned"


def test_a_folder_fails_and_options_are_checked(twin):
    twin.files.mkdir(DIR)
    with pytest.raises(ModuleFailed, match="is a folder, not a file"):
        run(twin, path=DIR)
    with pytest.raises(ModuleFailed, match="Unsupported parameters for \\(sync_file_info\\) module: algorithm"):
        run(twin, path=DIR, algorithm="md5")


def test_a_placeholder_file_has_no_signature_the_lab_could_know(twin):
    with pytest.raises(ModuleFailed, match="lab: not simulated: signature and MSI properties"):
        run(twin, path=r"C:\Windows\System32\cmd.exe")
    assert run(twin, path=r"C:\Windows\System32\cmd.exe", get_signature=False,
               get_msi_properties=False)["exists"] is True
