"""The web model (lab/twin/web.py) over real HTTP: the download server on loopback, its proxy, a cut transfer."""

from __future__ import annotations

import socket

import pytest

from lab.twin import labmsi
from lab.twin.errors import NotSimulated
from lab.twin.web import Proxy, TransferCut, WebError
from tests.downloadserver import PROXY_CREDENTIALS, log, running
from tests.twins import build_twin

PATH = "/installers/signed/2.5.190.0/4096/AzureADConnect.msi"


@pytest.fixture
def server(tmp_path):
    with running(tmp_path) as srv:
        yield srv


@pytest.fixture
def twin():
    return build_twin({"hostname": "T"}, host="web-host")


def test_a_loopback_url_is_fetched_for_real(server, twin):
    response = twin.web.get(f"http://127.0.0.1:{server.server_port}{PATH}")
    assert response.status == 200 and response.body == labmsi.build(4096, "2.5.190.0")
    assert response.last_modified == 1767225600.0
    assert log(server, 1)[-1]["host"] == "web-host"
    assert twin.web.get(f"http://localhost:{server.server_port}/nothing").status == 404


def test_the_hosts_cut_fault_reaches_the_server(server, twin):
    twin.state["faults"] = {"download_cut_after_bytes": 1000}
    with pytest.raises(TransferCut, match="Unable to read data from the transport connection: The connection was"):
        twin.web.get(f"http://127.0.0.1:{server.server_port}{PATH}")
    assert log(server, 1)[-1]["bytes"] == 1000


def test_nothing_listening_is_unable_to_connect(twin):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(WebError, match="^Unable to connect to the remote server$"):
        twin.web.get(f"http://127.0.0.1:{port}/x")


def test_a_lab_name_through_the_lab_proxy(server, twin):
    url = f"http://downloads.lab.test{PATH}"
    proxy = f"http://127.0.0.1:{server.server_port}"
    assert twin.web.get(url, Proxy(proxy)).status == 407
    response = twin.web.get(url, Proxy(proxy, *PROXY_CREDENTIALS))
    assert response.status == 200 and len(response.body) == 4096
    # the server's threads log after answering, so the 407 of the challenge may land after the 200 under load
    answered = [entry for entry in log(server, 3) if entry.get("status") == 200]
    assert [entry["proxy_user"] for entry in answered] == ["labadmin"]


def test_local_names_bypass_the_proxy_as_dotnet_does(server, twin):
    proxy = Proxy("http://127.0.0.1:9", "u", "p")  # nothing listens there: only a bypass can succeed
    assert twin.web.get(f"http://127.0.0.1:{server.server_port}{PATH}", proxy).status == 200


@pytest.mark.parametrize("url,proxy", [
    ("http://www.example.com/x", None),
    ("http://www.example.com/x", Proxy("http://127.0.0.1:1")),
    ("http://downloads.lab.test/x", Proxy("http://proxy.corp.example.com:8080")),
    ("http://downloads.lab.test/x", None),
])
def test_the_network_outside_the_lab_is_not_simulated(twin, url, proxy):
    with pytest.raises(NotSimulated):
        twin.web.get(url, proxy)
