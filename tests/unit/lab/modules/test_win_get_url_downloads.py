"""win_get_url's twin against the lab download server over real HTTP: disk full, a cut transfer, the proxy."""

from __future__ import annotations

import hashlib

import pytest

from lab.modules import ModuleContext, ModuleFailed, lookup
from lab.twin import labmsi
from tests.downloadserver import PROXY_CREDENTIALS, base_url, log, running
from tests.twins import build_twin

SCRIPT = "ansible_collections.ansible.windows.plugins.modules.win_get_url.ps1"
PATH = "/installers/signed/2.5.190.0/200000/AzureADConnect.msi"
DEST = r"C:\Lab\AzureADConnect.msi"


@pytest.fixture
def server(tmp_path):
    with running(tmp_path) as srv:
        yield srv


@pytest.fixture
def twin():
    twin = build_twin({"hostname": "T"}, modeled={"files": {"C:\\": ["Lab"]}})
    twin.files.mkdir(r"C:\Lab")
    return twin


def run(twin, check=False, **params):
    ctx = ModuleContext(twin, params, check_mode=check, meta={"_ansible_check_mode": check})
    return lookup(SCRIPT).run(ctx)


def fails(twin, **params) -> ModuleFailed:
    before = twin.canonical()
    with pytest.raises(ModuleFailed) as info:
        run(twin, **params)
    assert twin.canonical() == before, "a failed download must leave nothing behind"
    return info.value


def test_a_download_lands_the_servers_bytes(server, twin):
    url = base_url(server) + PATH
    before = twin.canonical()
    assert run(twin, check=True, url=url, dest=DEST)["changed"] is True
    assert twin.canonical() == before
    result = run(twin, url=url, dest=DEST, checksum_algorithm="sha256")
    body = labmsi.build(200000, "2.5.190.0")
    assert result["changed"] and result["checksum_dest"] == hashlib.sha256(body).hexdigest()
    assert twin.files.read(DEST) == body
    assert not [e for e in twin.files.data.values() if "ansible-moduletmp" in e["path"]], "temp folder left"


def test_disk_full_while_downloading(server, twin):
    twin.state["disk"]["free_bytes"] = twin.files.used_bytes() + 100_000
    err = fails(twin, url=base_url(server) + PATH, dest=DEST)
    assert err.msg == (f"Error downloading '{base_url(server) + PATH}' to '{DEST}': Exception calling \"CopyTo\" "
                       "with \"1\" argument(s): \"There is not enough space on the disk.\r\n\"")


def test_the_copy_into_place_needs_the_space_again(server, twin):
    twin.state["disk"]["free_bytes"] = twin.files.used_bytes() + 300_000
    err = fails(twin, url=base_url(server) + PATH, dest=DEST)
    assert err.msg.endswith(": There is not enough space on the disk.\r\n")


def test_a_cut_transfer_fails_as_dotnet_does(server, twin):
    twin.state["faults"] = {"download_cut_after_bytes": 50_000}
    err = fails(twin, url=base_url(server) + PATH, dest=DEST)
    assert err.msg.endswith("Exception calling \"CopyTo\" with \"1\" argument(s): \"Unable to read data from the "
                            "transport connection: The connection was closed.\"")
    assert log(server, 1)[-1]["bytes"] == 50_000


def test_proxy_options(server, twin):
    url = "http://downloads.lab.test" + PATH
    proxy = base_url(server)
    err = fails(twin, url=url, dest=DEST, proxy_url=proxy)
    assert err.extra["status_code"] == 407 and "(407) Proxy Authentication Required." in err.msg
    assert run(twin, url=url, dest=DEST, proxy_url=proxy, proxy_username=PROXY_CREDENTIALS[0],
               proxy_password=PROXY_CREDENTIALS[1])["changed"]
    with pytest.raises(ModuleFailed, match="lab: not simulated: web request to http://downloads.lab.test"):
        run(twin, url=url, dest=DEST, proxy_url=proxy, use_proxy=False)
    with pytest.raises(ModuleFailed, match="not simulated: win_get_url option proxy_use_default_credential"):
        run(twin, url=url, dest=DEST, proxy_url=proxy, proxy_use_default_credential=True)
