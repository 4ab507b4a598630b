"""Twin of ansible.windows.win_ping."""

from ._basic import parse_args
from ._failures import twin_errors


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_ping", {"data": {"type": "str", "default": "pong"}})
    if p["data"] == "crash":  # the real module does `throw "boom"`; the exec wrapper reports it like this
        ctx.fail("Unhandled exception while executing module: boom", exception="boom")
    return {"changed": False, "ping": p["data"]}
