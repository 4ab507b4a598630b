"""sync_installer end to end against the lab (issue 8, installer): pull and push, check mode, idempotence, and
every way an installer is refused, each leaving nothing runnable at the final path.

The role runs straight from test playbooks against 2019/2022 lab hosts with PowerShell 5.1; the installers are
the lab download server's generated packages (lab/twin/labmsi.py), 1 MiB so the tests stay fast.
"""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from lab import config
from lab.twin import labmsi
from tests.labfixture import BIN, REPO, env

VERSION = "2.5.190.0"
SIZE = 1024 * 1024
DIR = r"C:\ProgramData\EntraSyncUpgrade\installer"
FINAL = DIR + r"\AzureADConnect.msi"
PARTIAL = FINAL + ".partial"
SIGNED_SHA = hashlib.sha256(labmsi.build(SIZE, VERSION)).hexdigest()
RESULT_TASKS = ("Plan the staging (check mode transfers nothing)", "Keep the installer already staged (nothing to "
                "transfer)", "Publish the staged installer as this host's installer result",
                "Record the failure as this host's installer result")


def url(variant: str = "signed", version: str = VERSION, size: int = SIZE, host: str | None = None) -> str:
    where = host or f"127.0.0.1:{config.load_download_port()}"
    return f"http://{where}/installers/{variant}/{version}/{size}/AzureADConnect.msi"


def playbook(cases: dict[str, dict]) -> list[dict]:
    """One play over the hosts of `cases`; each host runs the role with its own case's variables."""
    role_vars = {f"sync_installer_{key}": f"{{{{ __cases[inventory_hostname].get('{key}', {default!r}) }}}}"
                 for key, default in (("url", ""), ("src", ""), ("sha256", SIGNED_SHA), ("version", VERSION),
                                      ("proxy_url", ""), ("proxy_username", ""), ("proxy_password", ""))}
    return [{"name": "Stage the installer", "hosts": ",".join(cases), "gather_facts": False,
             "vars": {"__cases": cases},
             "tasks": [{"name": "Run the role", "ansible.builtin.include_role": {
                 "name": "entra.sync_upgrade.sync_installer"}, "vars": role_vars}]}]


def installer_results(run) -> dict[str, dict]:
    """host -> the sync_installer_result the role published last."""
    found = {}
    for task in RESULT_TASKS:
        try:
            hosts = run.results(task)
        except AssertionError:
            continue
        found.update({h: r["ansible_facts"]["sync_installer_result"] for h, r in hosts.items()
                      if "ansible_facts" in r})
    return found


def file_sha(lab, host: str, path: str) -> str | None:
    twin = lab.twin(host)
    return twin.files.checksum(path, "sha256") if twin.files.exists(path) else None


def quarantined(lab, host: str) -> list[dict]:
    twin = lab.twin(host)
    folder = DIR + r"\quarantine"
    return twin.files.listdir(folder) if twin.files.exists(folder) else []


def download_bytes(lab, host: str) -> int:
    return sum(e.get("bytes", 0) for e in lab.log("downloads") if e.get("host") == host)


# pull and push ------------------------------------------------------------------------------------------------
PULL, PUSH = "target-2022", "connect23-2019"


@pytest.fixture(scope="module")
def staged(lab, tmp_path_factory):
    """Check mode, then the real run, then a second run: pull on one host, push on another."""
    lab.reset(PULL, PUSH)
    local = tmp_path_factory.mktemp("installer") / "AzureADConnect.msi"
    local.write_bytes(labmsi.build(SIZE, VERSION))
    cases = {PULL: {"url": url()}, PUSH: {"src": str(local)}}
    before = lab.digest(PULL, PUSH)
    checked = lab.playbook(playbook(cases), check=True)
    after_check = lab.digest(PULL, PUSH)
    start = download_bytes(lab, PULL)  # the download server's log spans the lab's life
    first = lab.playbook(playbook(cases))
    pulled_once = download_bytes(lab, PULL) - start
    second = lab.playbook(playbook(cases))
    return {"before": before, "after_check": after_check, "checked": checked, "first": first, "second": second,
            "pulled_once": pulled_once, "pulled_twice": download_bytes(lab, PULL) - start}


def test_check_mode_changes_nothing_and_lists_what_it_would_stage(staged):
    assert staged["checked"].failures() == {}
    assert staged["after_check"] == staged["before"]
    results = installer_results(staged["checked"])
    assert results[PULL]["status"] == results[PUSH]["status"] == "planned"
    assert results[PULL]["plan"] == [
        f"create {DIR}", f"download {url()} to {PARTIAL}",
        f"verify SHA-256 {SIGNED_SHA}, a Valid signature by Microsoft Corporation, ProductVersion {VERSION}",
        f"move it to {FINAL}"]
    assert results[PUSH]["plan"][1].startswith("push ") and results[PUSH]["plan"][1].endswith(f"to {PARTIAL}")


def test_pull_and_push_land_the_same_verified_bytes(staged, lab):
    assert staged["first"].failures() == {}
    results = installer_results(staged["first"])
    for host, method in ((PULL, "pull"), (PUSH, "push")):
        assert results[host] | {"source": None} == {
            "status": "done", "cause": None, "path": FINAL, "sha256": SIGNED_SHA, "size": SIZE, "version": VERSION,
            "product_name": labmsi.PRODUCT_NAME, "signer": "Microsoft Corporation", "signature_status": "Valid",
            "method": method, "source": None, "bytes_transferred": SIZE, "quarantine": None, "replaced": None}
        assert file_sha(lab, host, FINAL) == SIGNED_SHA
        assert not lab.twin(host).files.exists(PARTIAL)
    assert staged["pulled_once"] == SIZE, "the pull moved the installer's bytes over real HTTP once"
    said = staged["first"].results("Say what is transferred (it can take minutes; the size follows once it is there)")
    assert said[PULL]["msg"] == f"{PULL}: installer: the server downloads {url()} to {PARTIAL}"
    assert said[PUSH]["msg"].startswith(f"{PUSH}: installer: the controller pushes /")
    sized = staged["first"].results("Say how big the transferred installer is")
    assert sized[PULL]["msg"].endswith(f"({SIZE:,} bytes) at {PARTIAL}; verifying it"), sized[PULL]["msg"]


def test_a_second_run_transfers_nothing(staged):
    run = staged["second"]
    assert run.failures() == {} and run.changed() == 0
    assert {h: r["status"] for h, r in installer_results(run).items()} == {PULL: "unchanged", PUSH: "unchanged"}
    assert {r["bytes_transferred"] for r in installer_results(run).values()} == {0}
    assert staged["pulled_twice"] == staged["pulled_once"]


# refused installers -------------------------------------------------------------------------------------------
REFUSED = {  # host -> (case, words the cause must contain)
    "target-2022-b": ({"url": url("tampered")}, "Authenticode signature status is HashMismatch"),
    "target-2022-c": ({"url": url("unsigned")}, "Authenticode signature status is NotSigned"),
    "target-2022-d": ({"url": url("wrong_signer")}, "signed by 'Contoso Ltd'"),
    "target-2022-e": ({"url": url("signed", "2.4.131.0"),
                       "sha256": hashlib.sha256(labmsi.build(SIZE, "2.4.131.0")).hexdigest()},
                      "ProductVersion 2.4.131.0 (Microsoft Entra Connect Sync) is not the required version 2.5.190.0"),
    "connect24-staging-2022": ({"url": url(), "sha256": "0" * 64},
                               f"SHA-256 {SIGNED_SHA} does not match sync_installer_sha256 {'0' * 64}"),
}
BAD_INPUT = "member-2019"


@pytest.fixture(scope="module")
def refused(lab):
    hosts = [*REFUSED, BAD_INPUT]
    lab.reset(*hosts)
    cases = {host: case for host, (case, _) in REFUSED.items()}
    cases[BAD_INPUT] = {"url": url(), "src": "/nonexistent/AzureADConnect.msi", "sha256": "abc"}
    before = lab.digest(BAD_INPUT)
    run = lab.playbook(playbook(cases))
    states = {host: (file_sha(lab, host, FINAL), lab.twin(host).files.exists(PARTIAL), quarantined(lab, host))
              for host in hosts}
    digest_after = lab.digest(BAD_INPUT)
    lab.reset(*hosts)
    return run, states, before, digest_after


@pytest.mark.parametrize("host", list(REFUSED))
def test_a_refused_installer_stops_the_host_and_is_quarantined(refused, host):
    run, states, _, _ = refused
    words = REFUSED[host][1]
    result = installer_results(run)[host]
    assert result["status"] == "failed" and words in result["cause"], result
    assert run.failures()[host] == 1
    failed = run.results("Stop this host with the cause")[host]
    assert failed["msg"] == result["cause"], "the host fails with the result's own cause"
    final_sha, partial_left, quarantine = states[host]
    assert final_sha is None and not partial_left, "nothing runnable may be left behind"
    assert len(quarantine) == 1 and quarantine[0]["path"] == result["quarantine"]
    assert result["quarantine"].startswith(DIR + r"\quarantine" + "\\")
    assert result["quarantine"].endswith("-AzureADConnect.msi.bad")
    assert f"quarantined at {result['quarantine']}" in result["cause"]


def test_bad_input_fails_before_anything_changes(refused):
    run, _, before, after = refused
    cause = installer_results(run)[BAD_INPUT]["cause"]
    assert after == before
    assert "not both" in cause and "64 hex digits; got 'abc'" in cause
    assert "is not a file on the controller" in cause


# faults and a file already in the way -------------------------------------------------------------------------
DISK_PULL, DISK_PUSH, CUT, PROXY, REPLACED = ("target-2022-b", "target-2022-c", "target-2022-d", "target-2022-e",
                                             "connect-current-2022")


def full_disk(twin):
    twin.state["disk"]["free_bytes"] = twin.files.used_bytes() + SIZE // 2


def cut_after(count):
    return lambda twin: twin.state.setdefault("faults", {}).update(download_cut_after_bytes=count)


def older_installer_in_place(twin):
    twin.files.write(FINAL, labmsi.build(SIZE, "2.4.131.0"))


@pytest.fixture(scope="module")
def faults(lab, tmp_path_factory):
    hosts = [DISK_PULL, DISK_PUSH, CUT, PROXY, REPLACED]
    lab.reset(*hosts)
    lab.edit(DISK_PULL, full_disk)
    lab.edit(DISK_PUSH, full_disk)
    lab.edit(CUT, cut_after(300_000))
    lab.edit(REPLACED, older_installer_in_place)
    local = tmp_path_factory.mktemp("installer") / "AzureADConnect.msi"
    local.write_bytes(labmsi.build(SIZE, VERSION))
    creds = config.load_credentials()
    cases = {DISK_PULL: {"url": url()}, DISK_PUSH: {"src": str(local)}, CUT: {"url": url()},
             PROXY: {"url": url(host="downloads.lab.test"), "proxy_url": f"http://127.0.0.1:{config.load_download_port()}",
                     "proxy_username": creds.username, "proxy_password": creds.password},
             REPLACED: {"url": url()}}
    logged = len(lab.log("downloads"))
    run = lab.playbook(playbook(cases))
    states = {host: (file_sha(lab, host, FINAL), lab.twin(host).files.exists(PARTIAL), quarantined(lab, host))
              for host in hosts}
    proxied = [e for e in lab.log("downloads")[logged:] if e.get("host") == PROXY]
    lab.reset(*hosts)
    return run, states, proxied


@pytest.mark.parametrize("host,words", [
    (DISK_PULL, "There is not enough space on the disk."),
    (DISK_PUSH, "There is not enough space on the disk."),
    (CUT, "Unable to read data from the transport connection: The connection was closed."),
])
def test_a_failed_transfer_stops_cleanly(faults, host, words):
    run, states, _ = faults
    result = installer_results(run)[host]
    assert result["status"] == "failed" and words in result["cause"], result
    assert result["cause"].startswith("sync_installer: ")
    assert states[host] == (None, False, []), "no file at the final path, no partial file, nothing to quarantine"


def test_the_download_goes_through_the_proxy_with_its_credentials(faults):
    run, states, proxied = faults
    assert installer_results(run)[PROXY]["status"] == "done"
    assert states[PROXY][0] == SIGNED_SHA
    assert [(e["status"], e["via_proxy"]) for e in proxied] == [(407, True), (200, True)]
    assert proxied[-1]["proxy_user"] == "labadmin" and proxied[-1]["target"] == url(host="downloads.lab.test")


def test_another_version_at_the_final_path_is_quarantined_and_replaced(faults):
    run, states, _ = faults
    result = installer_results(run)[REPLACED]
    assert result["status"] == "done" and result["replaced"].endswith("-AzureADConnect.msi.bad")
    final_sha, _, quarantine = states[REPLACED]
    assert final_sha == SIGNED_SHA
    assert [q["path"] for q in quarantine] == [result["replaced"]]


# documentation ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind,name,words", [
    ("module", "entra.sync_upgrade.sync_file_info", ("get_msi_properties", "signer_name", "product_version")),
    ("role", "entra.sync_upgrade.sync_installer", ("sync_installer_sha256", "sync_installer_proxy_password")),
    ("filter", "entra.sync_upgrade.installer_problems", ("signers", "ProductVersion")),
])
def test_documentation_is_readable_by_ansible_doc(kind, name, words):
    out = subprocess.run([str(BIN / "ansible-doc"), "-t", kind, name], cwd=REPO, env=env(), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    for word in words:
        assert word in out.stdout, word
