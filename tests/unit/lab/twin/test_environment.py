"""The environment block (lab/twin/environment.py): logon values, machine and user keys, overlays."""

from __future__ import annotations

from lab.twin.environment import expand, overlay
from tests.twins import build_twin


def test_a_logon_block_from_the_registry():
    env = build_twin({"hostname": "LABHOST"}).environment("labadmin")
    assert env["USERNAME"] == "labadmin"  # the machine key's USERNAME=SYSTEM is not a user's
    assert env["TEMP"] == r"C:\Users\labadmin\AppData\Local\Temp"  # the user's key wins over the machine's
    assert env["COMSPEC"] == r"C:\Windows\system32\cmd.exe" and env["COMPUTERNAME"] == "LABHOST"
    assert env["PATH"].lower().startswith(r"c:\windows\system32;")


def test_overlays_set_and_remove_variables():
    block = overlay({"A": "1", "B": "2"}, {"b": "", "C": 3})
    assert block == {"A": "1", "C": "3"}  # an empty value removes it, as SetEnvironmentVariable does


def test_expansion_ignores_case_and_keeps_undefined_names():
    assert expand(r"%systemroot%\x %NOPE% %A%", {"SYSTEMROOT": r"C:\Windows", "A": "a"}) == r"C:\Windows\x %NOPE% a"
