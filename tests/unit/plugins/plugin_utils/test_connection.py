"""The connection preflight (plugins/plugin_utils/_connection.py): what is refused before a host is contacted."""

from __future__ import annotations

import pytest

from plugins.plugin_utils._connection import ALLOW_CERT_VAR, ALLOW_HTTP_VAR, connection_problems

LAB_HTTPS = {"ansible_connection": "winrm", "ansible_port": 26301, "ansible_winrm_scheme": "https",
             "ansible_winrm_transport": "ntlm", "ansible_winrm_server_cert_validation": "validate"}
LAB_HTTP = {"ansible_connection": "winrm", "ansible_port": 27301, "ansible_winrm_scheme": "http",
            "ansible_winrm_transport": "ntlm"}


@pytest.mark.parametrize("settings", [
    LAB_HTTPS, LAB_HTTP,
    {"ansible_connection": "winrm", "ansible_port": 5985, "ansible_winrm_transport": "kerberos"},
    {"ansible_connection": "winrm", "ansible_port": 5985, "ansible_winrm_transport": ["credssp"]},
    {"ansible_connection": "winrm", "ansible_port": 5985, "ansible_user": "svc@CORP.EXAMPLE.COM"},  # kerberos
    {"ansible_connection": "winrm", "ansible_winrm_transport": "basic"},  # port 5986: https, Basic inside TLS
    {"ansible_connection": "winrm"},  # https, ssl (Basic inside TLS), validated
    {"ansible_connection": "ssh", "ansible_port": 22},  # not a Windows connection: nothing to judge
    {"ansible_connection": "psrp", "ansible_psrp_protocol": "http"},  # negotiate, encrypted
])
def test_safe_connections_pass(settings):
    assert connection_problems(settings) == []


@pytest.mark.parametrize("settings,words", [
    (LAB_HTTP | {"ansible_winrm_transport": "basic"}, "Basic authentication (ansible_winrm_transport basic)"),
    (LAB_HTTP | {"ansible_winrm_transport": "ntlm,basic"}, "ansible_winrm_transport basic"),
    (LAB_HTTP | {"ansible_winrm_transport": "['plaintext']"}, "ansible_winrm_transport plaintext"),
    (LAB_HTTP | {"ansible_winrm_transport": ""}, "ansible_winrm_transport plaintext"),  # the plugin's default
    ({"ansible_connection": "winrm", "ansible_port": "5985", "ansible_winrm_transport": "ssl"}, "sends the password"),
    (LAB_HTTP | {"ansible_winrm_message_encryption": "never"}, "message_encryption: never"),
])
def test_clear_text_over_http_is_refused_unless_allowed(settings, words):
    (problem,) = connection_problems(settings)
    assert words in problem and "plain HTTP" in problem and ALLOW_HTTP_VAR in problem, problem
    assert connection_problems(settings, allow_unencrypted_http=True) == []


@pytest.mark.parametrize("settings", [
    LAB_HTTPS | {"ansible_winrm_server_cert_validation": "ignore"},
    {"ansible_connection": "winrm", "ansible_winrm_server_cert_validation": "ignore"},  # https by default
    {"ansible_connection": "psrp", "ansible_psrp_cert_validation": False},
])
def test_certificate_validation_off_is_refused_unless_allowed(settings):
    (problem,) = connection_problems(settings)
    assert "cert_validation" in problem and ALLOW_CERT_VAR in problem, problem
    assert connection_problems(settings, allow_unvalidated_certificate=True) == []
    assert connection_problems(settings, allow_unencrypted_http=True) != []  # one allowance is not the other


def test_validation_is_irrelevant_over_http_and_both_problems_are_named():
    assert connection_problems(LAB_HTTP | {"ansible_winrm_server_cert_validation": "ignore"}) == []
    problems = connection_problems(LAB_HTTP | {"ansible_winrm_transport": "basic,certificate"})
    assert len(problems) == 2 and "needs HTTPS" in problems[1]


def test_no_message_carries_a_password():
    settings = LAB_HTTP | {"ansible_winrm_transport": "basic", "ansible_password": "S3cret-Value"}
    assert "S3cret-Value" not in " ".join(connection_problems(settings))
