"""Is a sync server active (exporting)? plugins/plugin_utils/_activity.py, from facts shaped like sync_facts'."""

from __future__ import annotations

import pytest

from plugins.plugin_utils._activity import activity


def server(tool="connect", state="running", mode="auto", scheduler=True, staging=False, service=None) -> dict:
    name = service or ("ADSync" if tool in ("connect", "aadsync") else "FIMSynchronizationService")
    return {"tool": tool, "services": [{"name": name, "state": state, "start_mode": mode}],
            "scheduler": {"enabled": scheduler}, "staging_mode": staging}


@pytest.mark.parametrize("facts,active,words", [
    (server(), True, "ADSync running, scheduler on, not in staging mode"),
    (server("dirsync"), True, "FIMSynchronizationService running"),
    # what the cutover leaves: an old DirSync/AADSync server stopped and disabled, an old Connect as a standby
    (server("dirsync", "stopped", "disabled", scheduler=False), False, "stopped and disabled, scheduler off"),
    (server("aadsync", "stopped", "disabled", scheduler=None, staging=None), False, "ADSync stopped and disabled"),
    (server("connect", staging=True), False, "staging mode on"),
    (server("connect", scheduler=False), False, "scheduler off"),
    # Connect's cmdlets fail while ADSync is stopped: the stopped service alone settles it
    (server("connect", "stopped", scheduler=None, staging=None), False, "ADSync stopped"),
    (server("connect", "stopped", "disabled"), False, "ADSync stopped and disabled"),
    # a disabled service that still runs still exports until it stops: not proof of anything
    (server("connect", "running", "disabled"), True, "running"),
    (server("connect", "start_pending"), None, "ADSync start_pending"),
    (server("aadsync", staging=None), None, "staging mode unknown"),
    (server("mim_connector", scheduler=None), None, "scheduler state unknown"),
    (server("connect", service="MSOnline"), None, "service ADSync not seen"),
    ({"tool": "none"}, False, "no sync engine"),
    ({"tool": "unknown"}, None, "sync tool unknown"),
    (None, None, "sync tool unknown"),
])
def test_activity(facts, active, words):
    result = activity(facts)
    assert result["active"] is active and words in result["why"], result
