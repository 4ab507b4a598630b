"""The benchmarks' readers of the lab's logs and of ansible-playbook's output, and the tables, ratios, targets and
JSON built from them (no lab: the inputs are what the logs and a run would give)."""

from __future__ import annotations

import json

import pytest

from benchmarks import bench_backup, bench_installer
from benchmarks.timed_playbook import (
    RESULT_MARK,
    document,
    failure_message,
    markdown_table,
    published_result,
    report_targets,
    target,
    winrm_commands,
    write_json,
)

MIB = 2**20


# timed_playbook -------------------------------------------------------------------------------------------------

def test_requests_belong_to_the_last_command_on_their_connection():
    log = [
        {"op": "Create", "conn": 1, "ts": 0.0, "bytes_in": 900},
        {"op": "Command", "conn": 1, "ts": 1.0, "bytes_in": 100, "bytes_out": 10},
        {"op": "Command", "conn": 2, "ts": 1.5, "bytes_in": 100, "bytes_out": 10},
        {"op": "Send", "conn": 1, "ts": 2.0, "bytes_in": 5000, "stdin_bytes": 4000},
        {"op": "Receive", "conn": 2, "ts": 2.5, "bytes_out": 700},
        {"op": "Receive", "conn": 1, "ts": 3.0, "bytes_out": 300},
        {"op": "Receive", "conn": 2, "ts": 3.5, "bytes_out": 20},
        {"op": "Signal", "conn": 1, "ts": 4.0, "bytes_in": 50},
        {"op": "Delete", "conn": 1, "ts": 4.5, "bytes_in": 60},
    ]
    first, second = winrm_commands(log)
    assert (first["start"], first["end"], first["requests"], first["receives"], first["stdin"]) == (1.0, 4.0, 4, 1,
                                                                                                     4000)
    assert (first["bytes_in"], first["bytes_out"], first["largest_in"], first["largest_out"]) == (5150, 310, 5000, 300)
    assert (second["requests"], second["receives"], second["bytes_out"], second["largest_out"]) == (3, 2, 730, 700)


def test_the_published_fact_and_the_failure_message_are_read_back_from_the_json_result_format():
    fact = {"status": "unchanged", "bytes_transferred": 0, "path": 'C:\\x\\"q"'}
    msg = json.dumps(RESULT_MARK + json.dumps(fact))
    out = (f'ok: [h] => {{\n    "msg": {msg}\n}}\n'
           'fatal: [h]: FAILED! => {"changed": false, "msg": "chunk_bytes must be \\"small\\""}\n')
    assert published_result(out) == fact
    assert failure_message(out) == 'chunk_bytes must be "small"'
    assert published_result("ok: [h]") is None


def test_a_markdown_table_aligns_its_columns_and_refuses_a_short_row():
    table = markdown_table([("size", "r"), ("method", "l")], [["4 MiB", "pull"], [16, "push"]])
    assert table.splitlines() == ["| size | method |", "|---:|---|", "| 4 MiB | pull |", "| 16 | push |"]
    with pytest.raises(ValueError, match="1 cells in a table of 2 columns"):
        markdown_table([("size", "r"), ("method", "l")], [["4 MiB"]])


def test_only_a_missed_hard_target_fails_the_run(capsys):
    assert report_targets([target("a", True, True, "ok"), target("b", False, False, "slow")]) == 0
    assert report_targets([target("c", False, True, "moved 5 bytes")]) == 1
    out, err = capsys.readouterr()
    assert "target b: missed (not a hard target): slow" in out
    assert "target c: FAILED: moved 5 bytes" in err and "target c" not in out


def test_the_json_document_has_the_documented_keys(tmp_path):
    doc = document("bench_x", ["--quick"], True, [{"n": 1}], {"r": 2.0}, [target("t", True, True, "d")])
    path = write_json(str(tmp_path / "sub" / "x.json"), doc)
    back = json.loads(path.read_text())
    assert list(back) == ["benchmark", "quick", "command", "machine", "results", "ratios", "targets"]
    assert (back["benchmark"], back["quick"], back["command"]) == ("bench_x", True, "benchmarks/bench_x.py --quick")
    assert back["machine"]["cpus"] >= 1 and back["machine"]["ansible_core"].count(".") >= 2
    assert back["results"] == [{"n": 1}] and back["targets"][0] == {"name": "t", "met": True, "hard": True,
                                                                     "detail": "d"}


# bench_installer ------------------------------------------------------------------------------------------------

def command(start, end, stdin=0):
    return {"start": start, "end": end, "stdin": stdin}


def test_the_transfer_is_the_file_carrying_commands_or_the_one_the_download_ran_in():
    push = [command(0, 1), command(1, 4, stdin=bench_installer.FILE_STDIN + 1), command(4, 4.5)]
    assert bench_installer.transfer_seconds(push, []) == 3
    pull = [command(0, 1), command(1, 3.5), command(4, 4.5)]
    assert bench_installer.transfer_seconds(pull, [{"ts": 3.2}]) == 2.5
    assert bench_installer.transfer_seconds(pull, []) == 0  # re-staging: nothing moved


def run(seconds, status="changed", moved=0, role_bytes=0, transfer=1.0):
    return {"seconds": seconds, "transfer_seconds": transfer, "role_status": status,
            "role_bytes_transferred": role_bytes, "http_requests": 1, "http_bytes": moved, "winrm_requests": 50,
            "winrm_bytes_in": 10, "winrm_bytes_out": 20, "installer_bytes_moved": moved}


def test_a_row_takes_medians_but_keeps_every_runs_verdict():
    row = bench_installer.summarize(50, "pull", "fresh", [run(3.0), run(1.0, status="failed", role_bytes=None),
                                                          run(2.0)])
    assert (row["median_seconds"], row["min_seconds"], row["max_seconds"], row["mib_per_second"]) == (2.0, 1.0, 3.0,
                                                                                                      25.0)
    assert row["role_status"] == "changed/failed" and row["role_bytes_transferred"] is None
    assert row["bytes"] == 50 * MIB and row["seconds"] == [3.0, 1.0, 2.0]


def installer_rows(pull50, push50, pull200, push200, restage_moved=0):
    rows = []
    for size, pull, push in ((50, pull50, push50), (200, pull200, push200)):
        rows.append(bench_installer.summarize(size, "pull", "fresh", [run(pull, transfer=pull / 4)]))
        rows.append(bench_installer.summarize(size, "push", "fresh", [run(push, transfer=push / 2)]))
        for method in ("pull", "push"):
            rows.append(bench_installer.summarize(size, method, "restage",
                                                  [run(1.0, status="unchanged", moved=restage_moved)]))
    return rows


def test_ratios_per_size_and_the_incremental_rate_take_the_fixed_cost_out():
    measured = bench_installer.ratios(installer_rows(2.0, 4.0, 3.0, 10.0))
    assert measured == {"push_over_pull_50_mib": 2.0, "push_over_pull_transfer_50_mib": 4.0,
                        "push_over_pull_200_mib": 3.33, "push_over_pull_transfer_200_mib": 6.67,
                        "pull_incremental_mib_per_second": 150.0, "push_incremental_mib_per_second": 25.0}
    # noise made the larger size no slower: no rate rather than a negative one
    assert "pull_incremental_mib_per_second" not in bench_installer.ratios(installer_rows(3.0, 4.0, 2.0, 10.0))


def test_restaging_that_moved_bytes_is_a_hard_failure_and_the_ratio_a_reported_one():
    rows = installer_rows(2.0, 4.0, 2.0, 12.0)
    met = bench_installer.targets(rows, bench_installer.ratios(rows))
    assert [(t["name"], t["met"], t["hard"]) for t in met] == [("restage_moves_zero_bytes", True, True),
                                                               ("pull_5x_faster_than_push_at_200_mib", True, False)]
    rows = installer_rows(2.0, 4.0, 3.0, 10.0, restage_moved=7)
    missed = bench_installer.targets(rows, bench_installer.ratios(rows))
    assert [(t["met"], t["hard"]) for t in missed] == [(False, True), (False, False)]
    assert "200 MiB by push moved 7 installer bytes" in missed[0]["detail"]
    # --quick does not stage 200 MiB: the ratio target is not judged at all
    quick = [r for r in rows if r["size_mib"] == 50]
    assert [t["name"] for t in bench_installer.targets(quick, bench_installer.ratios(quick))] == [
        "restage_moves_zero_bytes"]


def test_the_tables_show_each_fresh_and_restaging_row():
    rows = installer_rows(2.0, 4.0, 3.0, 10.0)
    text = bench_installer.tables("target-2022", rows, bench_installer.ratios(rows))
    assert "| 200 MiB | push (win_copy, WinRM) | 10.00 s (10.00-10.00) | 20.0 | 5.00 s |" in text
    assert "| 50 MiB, pull | 1.00 s | unchanged, 0 bytes | 0 |" in text
    assert "200 MiB: push / pull = **3.3x** (wall time)" in text


# bench_backup ---------------------------------------------------------------------------------------------------

def test_chunk_sizes_parse_and_print_in_binary_units():
    assert [bench_backup.parse_size(x) for x in ("64K", "1M", " 32M", "4096")] == [65536, 2**20, 2**25, 4096]
    assert [bench_backup.label(x) for x in (65536, 4 * 2**20)] == ["64 KiB", "4 MiB"]


def test_the_hosts_envelope_limit_follows_its_winrm_version():
    assert bench_backup.host_max_envelope("2.0") == 150 * 1024  # WinRM 2.0: Windows Server 2008 R2
    assert bench_backup.host_max_envelope("4.0") == bench_backup.host_max_envelope("5.1.20348.1") == 500 * 1024


def test_a_chunk_is_predicted_in_host_envelopes_and_receive_replies():
    small = bench_backup.chunk_limits(64 * 1024, 150 * 1024, receive_bytes=96 * 1024)
    assert small == {"base64_bytes": 87384, "host_envelopes": 0.57, "receives_per_read": 1}
    default = bench_backup.chunk_limits(4 * MIB, 150 * 1024, receive_bytes=96 * 1024)
    assert default == {"base64_bytes": 5592408, "host_envelopes": 36.41, "receives_per_read": 57}


def cmd(stdin, bytes_out=1000, start=0.0, end=0.0, receives=1):
    return {"stdin": stdin, "bytes_out": bytes_out, "bytes_in": 9000, "start": start, "end": end, "requests": 3 + receives,
            "receives": receives, "largest_in": 9000, "largest_out": min(bytes_out, 132000)}


def test_the_reader_is_the_commands_between_the_collect_and_the_remove():
    big = 2 * MIB
    commands = [cmd(34000), cmd(8000), cmd(34000, start=1.0, end=2.0),  # an earlier plan and collect
                cmd(8000, big, 2.0, 2.5, receives=22), cmd(8000, big, 2.5, 3.5, receives=22),
                cmd(34000, start=3.5, end=3.6)]
    phase = bench_backup.reader_phase(commands, db_bytes=2 * MIB)
    assert (phase["commands"], phase["seconds"], phase["receives"], phase["requests"]) == (2, 1.5, 44, 50)
    assert (phase["bytes_out"], phase["largest_reply"]) == (2 * big, 132000)
    with pytest.raises(SystemExit, match="less than the backup's base64"):
        bench_backup.reader_phase(commands, db_bytes=4 * MIB)
    with pytest.raises(SystemExit, match="cannot tell"):
        bench_backup.reader_phase(commands[:-1], db_bytes=MIB)


def sweep_row(chunk, rates, request=12973, refused=None):
    runs = [{"seconds": 5.0, "fetched_bytes": 50 * MIB, "winrm_requests": 700,
             "reader": {"seconds": 50 / rate, "commands": 13, "requests": 700, "receives": 680,
                        "largest_request": request, "largest_reply": 132093}} for rate in rates]
    return bench_backup.sweep_row("dirsync-2008r2", "2.0", 50, chunk, [] if refused else runs, refused)


def test_a_sweep_row_reports_the_median_run_or_the_refusal():
    row = sweep_row(4 * MIB, [10.0, 30.0, 20.0])
    assert (row["reader_mib_per_second"], row["reader_seconds"], row["runs"]) == (20.0, 2.5, 3)
    assert row["limits"]["receives_per_read"] == 57
    refused = sweep_row(32 * MIB, [], refused="chunk_bytes must be between 1024 and 16777216")
    assert refused["runs"] == 0 and "reader_mib_per_second" not in refused
    table = bench_backup.sweep_table([row, refused])
    assert "| 32 MiB | 291.27 / 456 | refused: chunk_bytes must be between 1024 and 16777216 |" in table
    assert "| 4 MiB | 36.41 / 57 | 5.00 s | 20.0 | 2.50 s | 13 | 700 (680) | 700 | 12,973 / 132,093 |" in table


def test_a_request_larger_than_the_hosts_envelope_fails_though_the_lab_took_it():
    rows = [sweep_row(MIB, [10.0]), sweep_row(4 * MIB, [20.0], request=160_000),
            sweep_row(32 * MIB, [], refused="too big")]
    found = bench_backup.targets(rows)
    assert [(t["name"], t["met"], t["hard"]) for t in found] == [
        ("reader_requests_within_host_envelope", False, True), ("reader_replies_within_client_envelope", True, True)]
    assert bench_backup.ratios(rows) == {"reader_fastest_over_slowest_chunk": 2.0}
    assert bench_backup.targets(rows[:1])[0]["met"]
