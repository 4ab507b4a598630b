"""Bad input stops a host with a clear error before anything changes (issue 10): unsafe connection settings are
refused before the host is contacted, and wrong credentials or an unreachable host leave the server as it was.

One assess run on three hosts, each with its own connection settings (an override inventory): Basic over plain
HTTP, certificate validation off, and the lab's NTLM-encrypted HTTP listener (allowed). Then the allowances.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.labfixture import REPO

DETECT = "Detect the sync tool (one read-only WinRM command) unless the connection is unsafe"
BASIC_HTTP, NO_VALIDATION, NTLM_HTTP = "target-2022-b", "target-2022-c", "target-2022-d"


def override(lab, tmp_path, hostvars: dict) -> str:
    lines = ["all:", "  hosts:"]
    for host, variables in hostvars.items():
        lines.append(f"    {host}:")
        lines += [f"      {key}: {json.dumps(value)}" for key, value in variables.items()]
    path = tmp_path / "override.yml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture(scope="module")
def unsafe(lab, tmp_path_factory):
    hosts = [BASIC_HTTP, NO_VALIDATION, NTLM_HTTP]
    http = lambda host: {"ansible_winrm_scheme": "http", "ansible_port": lab.hosts[host].http_port}  # noqa: E731
    path = override(lab, tmp_path_factory.mktemp("bad_input"), {
        BASIC_HTTP: {**http(BASIC_HTTP), "ansible_winrm_transport": "basic"},
        NO_VALIDATION: {"ansible_winrm_server_cert_validation": "ignore"},
        NTLM_HTTP: http(NTLM_HTTP)})
    for host in hosts:
        lab.clear_log(host)
    before = lab.digest(*hosts)
    run = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", path, "--limit",
                       ",".join(hosts))
    contacted = {host: len(lab.log(host)) for host in hosts}
    allowed = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", path, "--limit",
                           NO_VALIDATION, "-e", "sync_assess_allow_unvalidated_certificate=true")
    return run, before, lab.digest(*hosts), contacted, allowed


@pytest.mark.parametrize("host,words", [
    (BASIC_HTTP, "with Basic authentication (ansible_winrm_transport basic) sends the password in the clear"),
    (NO_VALIDATION, "ansible_winrm_server_cert_validation: ignore turns off the check of the server's certificate"),
])
def test_an_unsafe_connection_is_refused_before_the_host_is_contacted(unsafe, host, words):
    run, before, after, contacted, _ = unsafe
    result = run.results(DETECT)[host]["sync_assess_result"]
    cause = result["cause"]
    assert result["status"] == "connection_refused" and cause.startswith(f"{host} was not contacted: "), result
    assert words in cause and "sync_assess_allow_" in cause
    assert "Nothing was changed; fix the inventory and re-run." in cause
    assert contacted[host] == 0, "not a single WinRM request reached the host"
    assert after == before
    decision = run.decided()[host]["decision"]
    assert decision["path"] == "blocked" and decision["blockers"][0]["rule"] == "R-NOT-ASSESSED"
    failed = run.results("Fail the hosts that could not be assessed")[host]
    assert failed["msg"] == f"not assessed (connection_refused): {cause}"
    assert run.failures()[host] == 1


def test_ntlm_over_http_is_encrypted_and_allowed(unsafe):
    run, _, _, contacted, _ = unsafe
    assert run.results(DETECT)[NTLM_HTTP]["sync_assess_result"]["status"] == "assessed"
    assert contacted[NTLM_HTTP] > 0 and NTLM_HTTP not in run.failures()


def test_an_explicit_allowance_lets_the_host_be_contacted(unsafe):
    *_, allowed = unsafe
    assert allowed.results(DETECT)[NO_VALIDATION]["sync_assess_result"]["status"] == "assessed"
    assert not allowed.failures(), allowed.stats


@pytest.mark.parametrize("extra,status,words", [
    (["-e", "ansible_password=Not-The-Password1"], "auth_failed", "check ansible_user and ansible_password"),
    (["-e", "ansible_port=1"], "unreachable", "no WinRM connection: check the host name"),
])
def test_wrong_credentials_or_an_unreachable_host_change_nothing_and_say_what_to_check(lab, extra, status, words):
    host = "dirsync-2008r2"
    before = lab.digest(host)
    run = lab.playbook("upgrade.yml", "--limit", host, *extra)
    assert lab.digest(host) == before
    detected = run.results(DETECT)[host]["sync_assess_result"]
    assert detected["status"] == status and words in detected["cause"], detected
    assert run.failures() == {host: 1} and run.changed() == 0
    assert "Not-The-Password1" not in json.dumps(run.data)


def test_a_bad_choice_is_refused_by_the_argument_spec_before_any_task(lab):
    before = lab.digest("target-2022")
    run = lab.playbook("playbooks/assess.yml", "--limit", "target-2022", "-e", "sync_upgrade_path=sideways")
    assert run.failures() == {"target-2022": 1} and lab.digest("target-2022") == before
    text = json.dumps(run.data)
    assert "sync_assess_forced_path must be one of: auto, in_place, parallel" in text, text[-2000:]
    assert (REPO / "roles" / "sync_assess" / "meta" / "argument_specs.yml").is_file()


# One assess run on two active servers made to sync one tenant; the second also reports an OS caption that would
# break HTML and Markdown, so that the same run shows the report escaping what comes from a server (issue 10, 5).
ONE, OTHER = "connect23-2019", "connect-current-2022"
NASTY = "Microsoft Windows Server 2022 <script>alert(1)</script> | `code` [x](javascript:alert(1))\nnext line"


@pytest.fixture(scope="module")
def one_tenant(lab):
    lab.reset(ONE, OTHER)
    tenant = lab.twin(ONE).state["sync"]["tenant"]

    def same_tenant_and_a_nasty_caption(twin):
        sync = twin.state["sync"]
        sync["tenant"] = tenant
        for connector in sync["connectors"]:
            if connector["name"].endswith(" - AAD"):
                connector["name"] = f"{tenant} - AAD"
        twin.state["os"]["caption"] = NASTY
    lab.edit(OTHER, same_tenant_and_a_nasty_caption)
    before = lab.digest(ONE, OTHER)
    run = lab.playbook("playbooks/assess.yml", "--limit", f"{ONE},{OTHER}")
    return run, tenant, before, lab.digest(ONE, OTHER)


def test_two_active_servers_of_one_tenant_are_both_blocked_before_any_change(one_tenant):
    # the assessment decides it (upgrade.yml stops every blocked server at its assess step, before any change:
    # test_upgrade.py); the assess run alone keeps this test short
    run, tenant, before, after = one_tenant
    assert after == before and run.changed() == 0
    decisions = run.decided()
    for host, named in ((ONE, OTHER), (OTHER, ONE)):
        decision = decisions[host]["decision"]
        (blocker,) = [b for b in decision["blockers"] if b["rule"] == "R-TENANT-TWO-ACTIVE"]
        assert decision["path"] == "blocked", decision
        assert blocker["text"].startswith(f"two active sync servers for the tenant {tenant}: this one (ADSync "
                                          "running, scheduler on, not in staging mode) and " + named), blocker
        assert "staging mode" in blocker["text"] and "nothing was changed" in blocker["text"]


def test_the_report_escapes_what_the_server_reported(one_tenant):
    run, *_ = one_tenant
    (told,) = run.results("Tell the playbook where the report is").values()
    folder = Path(told["ansible_facts"]["sync_report_path"])
    hosts = {h["host"]: h for h in json.loads((folder / "report.json").read_text())["hosts"]}
    assert hosts[OTHER]["os"]["caption"] == NASTY  # the data as the server reported it
    html = (folder / "report.html").read_text()
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # the only links are the policy's sources (https addresses from policy/lifecycle.yml), none from a server
    assert 'href="javascript' not in html
    assert re.findall(r"<a [^>]*>", html) and all(re.fullmatch(r'<a href="https://[^"<>]*">', link)
                                                  for link in re.findall(r"<a [^>]*>", html))
    markdown = (folder / "report.md").read_text()
    # inert without escapes: markup from the server stays inside code spans (shown literally, never as HTML or links)
    prose = re.sub(r"``.*?``|`[^`]*`", "", markdown)
    assert "<" not in prose and "](javascript" not in prose and "`[x](javascript:alert(1))`" in markdown
    header = next(line for line in markdown.splitlines() if line.startswith("| Host |"))
    rows = [line for line in markdown.splitlines() if line.startswith(f"| {OTHER} ")]
    assert len(rows) == 1 and "next line |" in rows[0], "the newline stays inside its row"
    columns = lambda line: len(re.split(r"(?<!\\)\|", line))  # noqa: E731 (cells split by unescaped pipes)
    assert columns(rows[0]) == columns(header)
    assert "`` `code` ``" in rows[0], "backticks are inert"


def test_a_bad_decision_option_on_one_host_stops_that_host_alone_before_it_is_contacted(lab, tmp_path):
    # the decision runs once for the whole run, so its per-host options are checked by each host's detection
    bad, good = "target-2022-e", "connect23-2019"
    path = override(lab, tmp_path, {bad: {"sync_assess_run_date": "25/11/2026"}})
    for host in (bad, good):
        lab.clear_log(host)
    run = lab.playbook("playbooks/assess.yml", "-i", str(lab.inventory), "-i", path, "--limit", f"{bad},{good}")
    failed = run.results(DETECT)[bad]
    assert failed.get("failed") and "sync_assess_run_date must be a date (YYYY-MM-DD), got '25/11/2026'" in failed["msg"]
    assert lab.log(bad) == [], "the host was contacted"
    assert run.failures() == {bad: 1}, run.stats
    assert set(run.decided()) == {good} and run.decided()[good]["decision"]["path"] == "in_place"
    (told,) = run.results("Tell the playbook where the report is").values()  # the report covers both hosts
    report = json.loads((Path(told["ansible_facts"]["sync_report_path"]) / "report.json").read_text())
    assert {h["host"]: h["status"] for h in report["hosts"]} == {bad: "incomplete", good: "in_place"}
