"""ansible.windows' WebRequest module util: its options fragment, and the requests the lab answers."""

from __future__ import annotations

from ..twin.web import Proxy
from ._failures import not_simulated

WEB_REQUEST_OPTIONS = {
    # transport details the lab accepts without effect ...
    "url_timeout": {"type": "int", "default": 30, "aliases": ["timeout"]},
    "follow_redirects": {"type": "str", "default": "safe", "choices": ["all", "none", "safe"]},
    "headers": {"type": "dict"}, "http_agent": {"type": "str", "default": "ansible-httpget"},
    "maximum_redirection": {"type": "int", "default": 50}, "validate_certs": {"type": "bool", "default": True},
    "force_basic_auth": {"type": "bool", "default": False}, "url_username": {"type": "str"},
    "url_password": {"type": "str"}, "use_default_credential": {"type": "bool", "default": False},
    "use_proxy": {"type": "bool", "default": True}, "proxy_url": {"type": "str"}, "proxy_username": {"type": "str"},
    "proxy_password": {"type": "str"}, "proxy_use_default_credential": {"type": "bool", "default": False},
    # ... and ones it does not simulate (a method other than GET, client certificates)
    "url_method": {"type": "str", "aliases": ["method"]}, "client_cert": {"type": "str"},
    "client_cert_password": {"type": "str"},
}
REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           407: "Proxy Authentication Required", 500: "Internal Server Error", 502: "Bad Gateway"}


def proxy_for(ctx, module: str, params: dict) -> Proxy | None:
    """The proxy Get-AnsibleWindowsWebRequest sets: none without use_proxy, proxy_url's with its credentials,
    else the user's WinINet default (the lab's hosts have none configured)."""
    if params.get("proxy_use_default_credential"):
        not_simulated(ctx, module, "proxy_use_default_credential")
    if not params.get("use_proxy", True):
        return None
    if params.get("proxy_url"):
        return Proxy(params["proxy_url"], params.get("proxy_username"), params.get("proxy_password"))
    return None


def web_request_unsimulated(ctx, module: str, params: dict) -> None:
    if (params.get("url_method") or "GET").upper() != "GET":
        not_simulated(ctx, module, "url_method")
    for option in ("client_cert", "client_cert_password"):
        if params.get(option) is not None:
            not_simulated(ctx, module, option)
