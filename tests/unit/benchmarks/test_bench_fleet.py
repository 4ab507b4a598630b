"""The pure parts of the fleet benchmark (benchmarks/bench_fleet.py, fleet.py, plot.py, run.py): reading the PLAY
RECAP, counting the lab's request logs per host, the ratios against the baseline, the run plan and the fleet's
ports. No lab, no ansible-playbook."""

from __future__ import annotations

import sys

import pytest
import yaml

from benchmarks import bench_fleet, fleet, plot, run
from lab import config

# ansible-playbook's default output: task lines, the recap, then what a callback (run_summary) prints after it
OUTPUT = """\
TASK [Read each registry value detection needs] ********************************
fatal: [dirsync-2008r2]: FAILED! =>
    msg: the module failed

PLAY RECAP *********************************************************************
aadsync-2012r2-1           : ok=0    changed=0    unreachable=0    failed=1    skipped=0    rescued=0    ignored=0
connect-2025               : ok=8    changed=0    unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
dirsync-2008r2             : ok=0    changed=0    unreachable=1    failed=0    skipped=0    rescued=0    ignored=0
member-2019                : ok=7    changed=0    unreachable=0    failed=0    skipped=2    rescued=1    ignored=0

SUMMARY (assessment): 4 servers
  late-host : ok=3 changed=0
"""


def test_the_recap_gives_each_hosts_counts_and_stops_where_it_ends():
    recap = bench_fleet.parse_recap(OUTPUT)
    assert list(recap) == ["aadsync-2012r2-1", "connect-2025", "dirsync-2008r2", "member-2019"]  # not late-host
    assert recap["connect-2025"] == {"ok": 8, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 2,
                                     "rescued": 0, "ignored": 0}
    assert recap["member-2019"]["rescued"] == 1


def test_only_the_last_recap_counts_and_no_recap_is_empty():
    earlier = "PLAY RECAP ***\nold-host : ok=1 changed=0 unreachable=0 failed=1\n\n"
    assert "old-host" not in bench_fleet.parse_recap(earlier + OUTPUT)
    assert bench_fleet.parse_recap("ERROR! the playbook could not be parsed\n") == {}


def test_failed_unreachable_and_unnamed_hosts_are_failures_and_rescued_is_not():
    recap = bench_fleet.parse_recap(OUTPUT)
    hosts = ["aadsync-2012r2-1", "connect-2025", "dirsync-2008r2", "member-2019", "never-reached"]
    assert bench_fleet.failed_hosts(recap, hosts) == ["aadsync-2012r2-1", "dirsync-2008r2", "never-reached"]


def test_a_hosts_log_counts_every_request_the_commands_and_the_bytes():
    entries = [{"op": "auth", "status": 401}, {"op": "Create", "bytes_in": 1685, "bytes_out": 1455},
               {"op": "Command", "bytes_in": 2199, "bytes_out": 847}, {"op": "Receive", "bytes_in": 1689,
                                                                       "bytes_out": 17652},
               {"op": "Command", "bytes_in": 100, "bytes_out": 10}, {"op": "reset", "status": 0}]
    assert bench_fleet.log_totals(entries) == {"http_requests": 6, "winrm_commands": 2, "bytes_in": 5673,
                                               "bytes_out": 19964}
    assert bench_fleet.log_totals([]) == {"http_requests": 0, "winrm_commands": 0, "bytes_in": 0, "bytes_out": 0}


def test_per_host_means_are_over_the_hosts_asked_for_and_a_silent_host_counts_zero():
    totals = {"a": {"http_requests": 10, "winrm_commands": 2, "bytes_in": 100, "bytes_out": 50},
              "b": {"http_requests": 30, "winrm_commands": 4, "bytes_in": 300, "bytes_out": 150},
              "old": {"http_requests": 8, "winrm_commands": 1, "bytes_in": 1, "bytes_out": 1}}
    assert bench_fleet.per_host(totals, ["a", "b"]) == {"http_requests": 20, "winrm_commands": 3, "bytes_in": 200,
                                                        "bytes_out": 100}
    assert bench_fleet.per_host(totals, ["a", "silent"])["http_requests"] == 5
    assert bench_fleet.per_host(totals, [])["winrm_commands"] == 0


def test_modern_hosts_are_those_with_powershell_5_1_or_later():
    versions = {"ps2": "2.0", "ps4": "4.0", "ps51": "5.1.14393.0", "ps51short": "5.1", "none": None}
    hostvars = {f"h-{p}": {"lab_profile": p} for p in versions}
    assert bench_fleet.modern_hosts(hostvars, versions.get) == ["h-ps51", "h-ps51short"]


def _run(playbook: str, wall: float, commands: float, requests: float, failures: int = 0) -> dict:
    return {"n": 50, "forks": 10, "playbook": playbook, "wall_s": wall, "failures": failures, "modern_hosts": 41,
            "per_modern_host": {"winrm_commands": commands, "http_requests": requests, "bytes_in": 1000.0,
                                "bytes_out": 0.0}}


def test_ratios_are_baseline_over_toolkit_per_modern_host():
    q = bench_fleet.ratios(_run("toolkit", 10.0, 1.0, 7.0), _run("baseline", 55.0, 114.0, 500.0, failures=9))
    assert q["wall_time"] == 5.5
    assert q["winrm_commands"] == 114.0
    assert q["http_requests"] == 71.43
    assert q["bytes_in"] == 1.0
    assert q["bytes_out"] is None  # nothing to divide by: no ratio rather than a division error
    assert (q["n"], q["forks"], q["modern_hosts"], q["baseline_failures"], q["toolkit_failures"]) == (50, 10, 41, 9, 0)


def test_pairs_are_made_per_n_and_forks_only_where_both_ran():
    runs = [_run("toolkit", 10.0, 1.0, 7.0), _run("baseline", 20.0, 100.0, 400.0),
            {**_run("toolkit", 30.0, 1.0, 7.0), "n": 200, "forks": 1}]
    assert [(q["n"], q["forks"], q["wall_time"]) for q in bench_fleet.pair_ratios(runs)] == [(50, 10, 2.0)]


def test_the_plan_runs_both_side_by_side_but_the_baseline_at_forks_1_only_on_small_fleets():
    full = bench_fleet.plan(bench_fleet.FULL_SIZES, bench_fleet.FULL_FORKS)
    assert full[:2] == [(12, 1, "toolkit"), (12, 1, "baseline")]
    assert (50, 1, "baseline") in full and (200, 1, "baseline") not in full and (200, 1, "toolkit") in full
    assert len(full) == 3 * 4 * 2 - 1
    assert bench_fleet.plan((12,), (10, 25)) == [(12, 10, "toolkit"), (12, 10, "baseline"), (12, 25, "toolkit"),
                                                 (12, 25, "baseline")]


BASE = {"all": {"children": {"windows": {"children": {
    "a": {"hosts": {"src": {"lab_profile": "p1", "ansible_port": 1, "sync_upgrade_target": "tgt"}}},
    "b": {"hosts": {"tgt": {"lab_profile": "p2", "ansible_port": 2, "lab_hostname": "NEWBOX"}}}}}}}}


def test_fleet_ports_start_at_the_base_given_and_copies_get_their_own_names():
    hosts = fleet.fleet_hosts(BASE, 5, fleet.Ports(30000))
    assert list(hosts) == ["src", "tgt", "src-1", "tgt-1", "src-2"]
    assert [h["ansible_port"] for h in hosts.values()] == [30000, 30001, 30002, 30003, 30004]
    assert [h["lab_http_port"] for h in hosts.values()] == [35000, 35001, 35002, 35003, 35004]
    assert hosts["src-1"]["sync_upgrade_target"] == "tgt-1" and hosts["tgt-1"]["lab_hostname"] == "NEWBOX-1"
    assert fleet.Ports(30000).download == 29990


def test_the_port_base_comes_from_the_environment_and_defaults_to_40000(monkeypatch):
    monkeypatch.delenv(fleet.PORT_BASE_VARIABLE, raising=False)
    assert fleet.fleet_hosts(BASE, 1)["src"]["ansible_port"] == 40000
    monkeypatch.setenv(fleet.PORT_BASE_VARIABLE, "31000")
    assert fleet.fleet_hosts(BASE, 1)["src"]["lab_http_port"] == 36000
    assert fleet.FleetLab(3).ports == fleet.Ports(31000)
    monkeypatch.setenv(fleet.PORT_BASE_VARIABLE, "high")
    with pytest.raises(ValueError, match="ENTRA_FLEET_PORT_BASE"):
        fleet.Ports.from_environment()
    for base in (1030, 60000):  # the download port below 1024, the HTTP ports past 65535
        with pytest.raises(ValueError):
            fleet.Ports(base)


def test_the_generated_inventory_carries_the_download_port_of_the_base(tmp_path, monkeypatch):
    base = tmp_path / "base"
    base.mkdir()
    (base / "hosts.yml").write_text(yaml.safe_dump(BASE))
    inventory = fleet.write_inventory(3, tmp_path / "home", base, fleet.Ports(30000))
    data = yaml.safe_load((inventory / "hosts.yml").read_text())
    assert data["all"]["vars"]["lab_download_port"] == 29990
    hosts = data["all"]["children"]["windows"]["children"]["fleet"]["hosts"]
    assert [h["ansible_port"] for h in hosts.values()] == [30000, 30001, 30002]
    assert all(h["ansible_winrm_ca_trust_path"] == str(config.pki_dir() / "ca.pem") for h in hosts.values())


def test_the_plot_draws_a_line_per_playbook_and_forks_sorted_by_n():
    runs = [{"playbook": "toolkit", "forks": 10, "n": 200, "wall_s": 40.0},
            {"playbook": "toolkit", "forks": 10, "n": 12, "wall_s": 5.0},
            {"playbook": "baseline", "forks": 10, "n": 12, "wall_s": 15.0}]
    assert plot.series(runs) == {("baseline", 10): [(12, 15.0)], ("toolkit", 10): [(12, 5.0), (200, 40.0)]}


def test_run_passes_quick_and_the_json_path_to_each_benchmark_and_plots_after_the_fleet():
    steps = run.commands(True, ["fleet", "installer"])
    assert [name for name, _, _ in steps] == ["fleet", "plot", "installer"]
    fleet_argv, installer_argv = steps[0][1], steps[2][1]
    assert fleet_argv[:3] == [sys.executable, "benchmarks/bench_fleet.py", "--quick"]
    assert fleet_argv[-2:] == ["--json", "docs/performance/fleet.json"]
    assert installer_argv[-3:] == ["--quick", "--json", "docs/performance/installer.json"]
    assert steps[2][2] is True and steps[0][2] is False  # the installer needs the built-in lab, the fleet its own
    assert "--quick" not in run.commands(False, ["backup"])[0][1]


def _toolkit_run(n: int, forks: int, commands: float, hosts_per_s: float, failures: int = 0, pss: float = 300.0):
    return {"n": n, "forks": forks, "playbook": "toolkit", "per_host": {"winrm_commands": commands},
            "hosts_per_s": hosts_per_s, "wall_s": round(n / hosts_per_s, 1), "failures": failures,
            "tree_pss_peak_mib": pss}


def test_targets_hold_one_command_per_host_hard_and_report_the_speed_ones():
    runs = [_toolkit_run(12, 10, 1.0, 2.0), _toolkit_run(200, 10, 1.0, 9.5), _toolkit_run(200, 25, 1.0, 8.5, 1)]
    rows = [{"http_requests": 71.4, "wall_time": 5.2}, {"http_requests": 9.0, "wall_time": 2.0}]
    found = {t["name"]: t for t in bench_fleet.targets(runs, rows)}
    assert found["one WinRM command per host"]["met"] and found["one WinRM command per host"]["hard"]
    assert not found["10x fewer WinRM requests than the baseline"]["met"]  # the worst pair decides
    assert not found["5x faster than the baseline"]["met"]
    assert "2x to 5.2x" in found["5x faster than the baseline"]["detail"]
    fleet200 = found["200 hosts with no failure at 8 hosts/s or more"]
    assert fleet200["met"] and "9.5 hosts/s at forks 10" in fleet200["detail"]  # the best forks, without failure
    assert found["controller memory under 1 GiB at 200 hosts"]["met"]
    assert not any(t["hard"] for name, t in found.items() if name != "one WinRM command per host")


def test_a_second_command_per_host_misses_the_hard_target_and_quick_mode_leaves_out_the_200_host_ones():
    found = {t["name"]: t for t in bench_fleet.targets([_toolkit_run(12, 10, 2.0, 2.0)], [])}
    assert not found["one WinRM command per host"]["met"]
    assert list(found) == ["one WinRM command per host"]
    big = bench_fleet.targets([_toolkit_run(200, 10, 1.0, 9.0, pss=1100.0)], [])
    assert [t["met"] for t in big if "memory" in t["name"]] == [False]
