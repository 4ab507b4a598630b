"""reg.exe export (lab/twin/regfile.py): the .reg format regedit writes and reg import reads."""

from __future__ import annotations

import pytest

from lab.twin import regfile
from lab.twin.errors import NotSimulated
from lab.twin.registry import Registry
from tests.twins import build_twin

KEY = r"HKLM\SOFTWARE\Contoso\Sync"


def test_a_key_and_its_subkeys_in_regedit_s_format():
    reg = Registry()
    reg.set_value(KEY, "", "string", "default")
    reg.set_value(KEY, "Path", "string", 'C:\\Program Files\\"x"')
    reg.set_value(KEY, "Start", "dword", 2)
    reg.set_value(KEY, "Dir", "expandstring", "%SystemRoot%")
    reg.set_value(KEY, "Servers", "multistring", ["a", "b"])
    reg.set_value(KEY, "Blob", "binary", [1, 255])
    reg.set_value(KEY, "Big", "qword", 1)
    reg.set_value(KEY + r"\Child", "N", "dword", 0)
    data = regfile.export(reg, KEY.lower())
    assert data.startswith(b"\xff\xfe")
    text = data[2:].decode("utf-16-le")
    assert text.split("\r\n") == [
        "Windows Registry Editor Version 5.00", "",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Sync]",
        '@="default"',
        '"Big"=hex(b):01,00,00,00,00,00,00,00',
        '"Blob"=hex:01,ff',
        '"Dir"=hex(2):25,00,53,00,79,00,73,00,74,00,65,00,6d,00,52,00,6f,00,6f,00,74,00,\\',
        "  25,00,00,00",
        r'"Path"="C:\\Program Files\\\"x\""',
        '"Servers"=hex(7):61,00,00,00,62,00,00,00,00,00',
        '"Start"=dword:00000002',
        "",
        r"[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Sync\Child]",
        '"N"=dword:00000000',
        "", "",
    ]


def test_a_missing_key_fails_as_reg_exe_does():
    reg = Registry()
    reg.create_key(r"HKLM\SOFTWARE\Contoso")  # made now, so the lab knows all of it
    with pytest.raises(regfile.KeyNotFound, match="unable to find the specified registry key"):
        regfile.export(reg, KEY)


def test_a_key_the_lab_knows_only_in_part_cannot_be_exported():
    twin = build_twin({})
    with pytest.raises(NotSimulated):
        regfile.export(twin.registry, r"HKLM\SOFTWARE\Microsoft")
