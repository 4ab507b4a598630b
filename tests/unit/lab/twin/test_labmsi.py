"""The lab's installer format (lab/twin/labmsi.py): what Windows would report for each variant."""

from __future__ import annotations

import pytest

from lab.twin import labmsi

PATH = r"C:\x\AzureADConnect.msi"


@pytest.mark.parametrize("variant,status,signer", [
    ("signed", "Valid", "Microsoft Corporation"),
    ("unsigned", "NotSigned", None),
    ("tampered", "HashMismatch", "Microsoft Corporation"),
    ("wrong_signer", "Valid", "Contoso Ltd"),
    ("untrusted", "UnknownError", "Microsoft Corporation"),
])
def test_each_variant_reads_as_windows_would(variant, status, signer):
    data = labmsi.build(4096, "2.5.190.0", variant)
    assert len(data) == 4096
    signature = labmsi.authenticode(data, PATH)
    assert (signature["status"], signature["signer_name"]) == (status, signer)
    assert PATH in signature["status_message"] or status in ("Valid", "UnknownError")
    assert labmsi.msi_properties(data)["ProductVersion"] == "2.5.190.0"


def test_builds_are_deterministic_and_versions_differ():
    assert labmsi.build(8192, "2.5.190.0") == labmsi.build(8192, "2.5.190.0")
    assert labmsi.build(8192, "2.5.190.0") != labmsi.build(8192, "2.4.131.0")


def test_any_change_after_signing_breaks_the_signature():
    data = bytearray(labmsi.build(4096, "2.5.190.0"))
    data[10] ^= 1
    assert labmsi.authenticode(bytes(data), PATH)["status"] == "HashMismatch"


def test_a_file_that_is_no_msi_has_no_properties():
    assert labmsi.msi_properties(b"MZ" + bytes(100)) is None
    assert labmsi.authenticode(b"plain text", PATH)["status"] == "NotSigned"


def test_bad_requests_are_refused():
    with pytest.raises(ValueError, match="variant"):
        labmsi.build(4096, "1.0", "forged")
    with pytest.raises(ValueError, match="at least"):
        labmsi.build(100, "1.0")
