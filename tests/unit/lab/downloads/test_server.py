"""The lab's download server (lab/downloads): real HTTP, generated installers, proxy form, a cut transfer."""

from __future__ import annotations

import base64
import http.client
import socket

import pytest

from lab.twin import labmsi
from tests.downloadserver import PROXY_CREDENTIALS, base_url, log, running

PATH = "/installers/signed/2.5.190.0/4096/AzureADConnect.msi"


@pytest.fixture
def server(tmp_path):
    with running(tmp_path) as srv:
        yield srv


def get(server, target, headers=None, method="GET"):
    connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
    connection.request(method, target, headers=headers or {})
    reply = connection.getresponse()
    body = reply.read()
    connection.close()
    return reply, body


def test_serves_the_generated_installer(server):
    reply, body = get(server, PATH, {"X-Lab-Host": "h1"})
    assert reply.status == 200 and body == labmsi.build(4096, "2.5.190.0", "signed")
    assert reply.getheader("Last-Modified") == "Thu, 01 Jan 2026 00:00:00 GMT"
    assert log(server, 1)[-1] | {"ts": 0} == {"ts": 0, "method": "GET", "target": PATH, "host": "h1",
                                           "via_proxy": False, "bytes": 4096, "status": 200, "cut": False}


def test_head_sends_no_body(server):
    reply, body = get(server, PATH, method="HEAD")
    assert reply.status == 200 and body == b"" and reply.getheader("Content-Length") == "4096"


@pytest.mark.parametrize("target", ["/installers/forged/2.5.190.0/4096/a.msi", "/installers/signed/2.5/10/a.msi",
                                    "/etc/passwd", "/installers/signed/2.5.190.0/4096/../x"])
def test_anything_else_is_not_found(server, target):
    assert get(server, target)[0].status == 404


def test_a_cut_transfer_closes_the_connection_part_way(server):
    with socket.create_connection(("127.0.0.1", server.server_port)) as sock:
        sock.sendall(f"GET {PATH} HTTP/1.1\r\nHost: x\r\nX-Lab-Cut-After: 1000\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert b"Content-Length: 4096" in head and len(body) == 1000
    assert log(server, 1)[-1]["cut"] is True and log(server)[-1]["bytes"] == 1000


def test_proxy_form_needs_the_lab_credentials(server):
    url = f"http://downloads.lab.test{PATH}"
    reply, _ = get(server, url)
    assert reply.status == 407 and reply.getheader("Proxy-Authenticate") == 'Basic realm="lab proxy"'
    token = base64.b64encode(":".join(PROXY_CREDENTIALS).encode()).decode()
    reply, body = get(server, url, {"Proxy-Authorization": "Basic " + token})
    assert reply.status == 200 and len(body) == 4096
    assert log(server, 2)[-1]["via_proxy"] and log(server)[-1]["proxy_user"] == "labadmin"
    wrong = base64.b64encode(b"labadmin:nope").decode()
    assert get(server, url, {"Proxy-Authorization": "Basic " + wrong})[0].status == 407
    outside = f"http://www.example.com{PATH}"
    assert get(server, outside, {"Proxy-Authorization": "Basic " + token})[0].status == 502


def test_base_url_helper(server):
    assert base_url(server).startswith("http://127.0.0.1:")
