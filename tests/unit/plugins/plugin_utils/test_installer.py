"""The sync_installer role's checks (plugins/plugin_utils/_installer.py)."""

from __future__ import annotations

import pytest

from plugins.plugin_utils._installer import file_problems, input_problems, result

SHA = "ab" * 32
MS = ["Microsoft Corporation"]


def info(**overrides) -> dict:
    base = {"exists": True, "path": r"C:\i\AzureADConnect.msi.partial", "sha256": SHA, "size": 10,
            "authenticode": {"status": "Valid", "status_message": "Signature verified.",
                             "signer_name": "Microsoft Corporation", "signer_subject": "CN=Microsoft Corporation"},
            "msi": {"product_name": "Microsoft Entra Connect Sync", "product_version": "2.5.190.0"},
            "msi_error": None}
    return base | overrides


def test_the_required_installer_has_no_problem():
    assert file_problems(info(), SHA.upper(), "2.5.190", [" microsoft corporation "]) == []


def test_each_problem_says_what_was_found_and_what_was_required():
    assert file_problems(info(sha256="cd" * 32), SHA, "2.5.190.0", MS) == [
        f"SHA-256 {'cd' * 32} does not match sync_installer_sha256 {SHA}"]
    mismatch = info(authenticode={"status": "HashMismatch", "status_message": "changed", "signer_name":
                                  "Microsoft Corporation", "signer_subject": "CN=Microsoft Corporation"})
    assert file_problems(mismatch, SHA, "2.5.190.0", MS) == [
        "Authenticode signature status is HashMismatch (a Valid signature is required): changed"]
    unsigned = info(authenticode={"status": "NotSigned", "status_message": "not signed", "signer_name": None})
    assert file_problems(unsigned, SHA, "2.5.190.0", MS) == [
        "Authenticode signature status is NotSigned (a Valid signature is required): not signed",
        "no signer (sync_installer_signers allows: Microsoft Corporation)"]
    contoso = info(authenticode={"status": "Valid", "signer_name": "Contoso Ltd", "signer_subject": "CN=Contoso Ltd"})
    assert file_problems(contoso, SHA, "2.5.190.0", MS) == [
        "signed by 'Contoso Ltd' (CN=Contoso Ltd), which sync_installer_signers does not allow (Microsoft Corporation)"]
    old = info(msi={"product_name": "Microsoft Entra Connect Sync", "product_version": "2.4.131.0"})
    assert file_problems(old, SHA, "2.5.190.0", MS) == [
        "ProductVersion 2.4.131.0 (Microsoft Entra Connect Sync) is not the required version 2.5.190.0 "
        "(sync_installer_version)"]
    assert file_problems(info(msi=None, msi_error="no database"), SHA, "2.5.190.0", MS) == [
        "not a Windows Installer package: no database"]
    assert file_problems({"exists": False, "path": "C:\\x"}, SHA, "2.5.190.0", MS) == ["no file at C:\\x"]


def test_versions_compare_numerically():
    assert file_problems(info(msi={"product_version": "2.5.19.0"}), SHA, "2.5.190.0", MS)


@pytest.mark.parametrize("kwargs,expected", [
    ({"url": "http://x/a.msi", "src": "/tmp/a.msi"}, "not both"),
    ({"url": "", "src": ""}, "set sync_installer_url"),
    ({"url": "ldap://x"}, "is not an http(s), ftp or file URL"),
    ({"url": None, "src": "/nope.msi", "src_is_file": False}, "is not a file on the controller"),
    ({"sha256": "abc"}, "64 hex digits; got 'abc'"),
    ({"sha256": None}, "64 hex digits; got None"),
    ({"version": "latest"}, "a product version such as 2.5.190.0; got 'latest'"),
    ({"signers": []}, "at least one signer"),
    ({"signers": [""]}, "at least one signer"),
])
def test_bad_input_is_named(kwargs, expected):
    args = {"url": "http://x/AzureADConnect.msi", "src": None, "sha256": SHA, "version": "2.5.190.0",
            "signers": MS} | kwargs
    problems = input_problems(**args)
    assert len(problems) == 1 and expected in problems[0], problems


def test_good_input_has_no_problem():
    assert input_problems(None, "/tmp/AzureADConnect.msi", SHA, "2.5.190.0", MS, src_is_file=True) == []


def test_the_result_of_a_verified_installer():
    out = result(info(), "done", "pull", "http://x/a.msi", path=r"C:\i\AzureADConnect.msi", bytes_transferred=10)
    assert out == {"status": "done", "cause": None, "path": r"C:\i\AzureADConnect.msi", "sha256": SHA, "size": 10,
                   "version": "2.5.190.0", "product_name": "Microsoft Entra Connect Sync",
                   "signer": "Microsoft Corporation", "signature_status": "Valid", "method": "pull",
                   "source": "http://x/a.msi", "bytes_transferred": 10, "quarantine": None, "replaced": None}
