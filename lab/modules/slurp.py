"""Twin of ansible.windows.slurp (slurp.ps1, Legacy module utils)."""

import base64

from ._failures import twin_errors
from ._legacy import legacy_param
from ._paths import abspath


@twin_errors
def run(ctx):
    src = legacy_param(ctx, "src", type="path", required=True, aliases=("path",))
    path = abspath(ctx, src)
    entry = ctx.twin.files.get(path)
    if entry is None:
        ctx.fail(f"Path {src} is not found")
    if entry["type"] == "dir":
        ctx.fail(f"Path {src} is a directory")
    # slurp.ps1 sets only content and encoding: the `source` its documentation lists is never returned on Windows
    return {"changed": False, "content": base64.b64encode(ctx.twin.files.read(path)).decode(), "encoding": "base64"}
