"""A restarting host on the protocol side (lab/wsman/server.py): no connections, and no shells from before."""

from __future__ import annotations

from lab.wsman.requestlog import RequestLog
from lab.wsman.server import Endpoint
from lab.wsman.shells import ShellManager, ShellSettings


def endpoint(tmp_path, availability) -> Endpoint:
    return Endpoint("t", ShellManager(lambda *a: (b"", b"", 0)), RequestLog(tmp_path / "t.jsonl"), "u", "p",
                    availability=availability)


def test_a_restarting_host_has_no_boot_and_a_new_boot_has_lost_every_shell(tmp_path):
    state = {"down": False, "boot": 0}
    ep = endpoint(tmp_path, lambda: (state["down"], state["boot"]))
    assert ep.current_boot() == 0
    ep.shells.create(ShellSettings())
    state.update(down=True, boot=1)
    assert ep.current_boot() is None
    assert ep.shells.open_shells() == 0
    state["down"] = False
    assert ep.current_boot() == 1


def test_shells_survive_while_the_host_stays_in_one_boot(tmp_path):
    ep = endpoint(tmp_path, lambda: (False, 3))
    ep.current_boot()
    ep.shells.create(ShellSettings())
    assert (ep.current_boot(), ep.shells.open_shells()) == (3, 1)
