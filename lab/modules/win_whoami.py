"""Twin of ansible.windows.win_whoami: the logon session and token of the module's process.

The token comes from the accounts model (lab/twin/accounts.py); this file shapes it as the module does
(snake_case keys, SID dicts without the SidType prefix, group attributes as words, the Logon SID left out).
"""

import datetime

from ._basic import parse_args
from ._failures import twin_errors

LOGON_ID_BASE = 0x3E7 + 0x100000  # the lab's logon ids (a real one is an arbitrary LUID)


def _login_time(epoch) -> str | None:
    """DateTime.ToString("o") of the logon time in the host's local time (the lab's hosts keep UTC)."""
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(float(epoch), datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"


@twin_errors
def run(ctx):
    parse_args(ctx, "win_whoami", {})
    token = ctx.twin.accounts.token(ctx.logon["user"], ctx.logon["authentication"])
    logon_time = ctx.logon.get("time")
    result = {
        "changed": False,
        "logon_id": LOGON_ID_BASE + (int(float(logon_time)) % 0x100000 if logon_time else 0),
        "account": token["account"],
        "login_domain": token["login_domain"],
        "authentication_package": "NTLM",
        "logon_type": "Network",
        "login_time": _login_time(logon_time),
        "logon_server": token["logon_server"],
        "dns_domain_name": token["dns_domain_name"],
        "upn": token["upn"],
        "user_flags": [],
        "impersonation_level": "SecurityAnonymous",  # TOKEN_STATISTICS of a primary token
        "token_type": "TokenPrimary",
        "groups": token["groups"],
        "rights": token["rights"],
        "label": token["label"],
        "privileges": token["privileges"],
    }
    return result
