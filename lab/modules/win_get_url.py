"""Twin of ansible.windows.win_get_url: downloads come from the twin's web (lab/twin/web.py), never the network.

As the real module, a download goes to a file in the module's temporary folder first (so it needs the space
twice while it is copied into place), and the temporary folder is removed when the module exits.
"""

import hashlib
import ntpath
import random
import re
import time
from urllib.parse import unquote, urlsplit

from ..twin.errors import Win32Error
from ..twin.web import TransferCut, WebError, local_path
from ._basic import parse_args
from ._failures import fail_with, twin_errors
from ._paths import abspath, checksum
from ._web import REASONS, WEB_REQUEST_OPTIONS, proxy_for, web_request_unsimulated
from .win_stat import HASHES

OPTIONS = {
    "url": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "force": {"type": "bool", "default": True},
    "checksum": {"type": "str"},
    "checksum_algorithm": {"type": "str", "default": "sha1", "choices": list(HASHES)},
    "checksum_url": {"type": "str"},
    **WEB_REQUEST_OPTIONS,
}
NO_FOLDER = ("Ensure download destination folder exists (perhaps using win_file state=directory) "
             "before win_get_url runs.")


def request(ctx, p, url, method="GET"):
    """Get-AnsibleWindowsWebRequest + GetResponse: the request with the module's proxy and timeout."""
    return ctx.twin.web.get(url, proxy_for(ctx, "win_get_url", p), method=method, timeout=p["url_timeout"])


def fetch(ctx, p, result, url, what, reader="CopyTo\" with \"1"):
    """The body the twin's web serves for url, setting status_code/msg as Invoke-AnsibleWindowsWebRequest does;
    `reader` is the .NET call that reads the response stream (its failure is reported through it)."""
    try:
        response = request(ctx, p, url)
    except TransferCut as exc:
        result.update(status_code=200, msg="OK")
        fail_with(ctx, f'{what}Exception calling "{reader}" argument(s): "{exc}"', result)
    except WebError as exc:
        fail_with(ctx, f"{what}{exc}", result)
    status = response.status
    result.update(status_code=status, msg=REASONS.get(status, "OK") if status != 200 else "OK")
    if status >= 400:
        fail_with(ctx, f"{what}The remote server returned an error: ({status}) {result['msg']}.", result)
    return response.body


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_get_url", OPTIONS, mutually_exclusive=[["checksum", "checksum_url"]])
    web_request_unsimulated(ctx, "win_get_url", p)
    proxy_for(ctx, "win_get_url", p)  # refuses proxy options the lab does not simulate before anything runs
    fs, url, algorithm = ctx.twin.files, p["url"], p["checksum_algorithm"].strip().lower()
    started = time.monotonic()
    result = {"changed": False, "elapsed": 0, "url": url}
    dest = abspath(ctx, p["dest"])
    if fs.is_dir(dest):
        parts = urlsplit(url)
        basename = ntpath.basename(unquote(parts.path).replace("/", "\\"))
        dest = ntpath.join(dest, basename if parts.path not in ("", "/") and basename else parts.hostname or "")
    elif p["dest"].endswith(("\\", "/")):
        fail_with(ctx, f"The destination path '{p['dest']}' does not exist, or is not visible to the current user. "
                 + NO_FOLDER, result)
    result["dest"] = dest
    want = p["checksum"].strip().lower() if p["checksum"] else None
    if p["checksum_url"]:
        want = checksum_from_url(ctx, p, result, p["checksum_url"].strip(), url, dest)

    force = p["force"]
    dest_checksum = checksum(fs, dest, algorithm) if fs.exists(dest) else None
    if dest_checksum and want and dest_checksum != want:
        force = True
    if dest_checksum and want and dest_checksum == want and not force:
        result.update(checksum_dest=dest_checksum, size=fs.size(dest))
    elif force or not fs.exists(dest) or remote_is_newer(ctx, p, url, dest):
        download(ctx, p, result, url, dest, want, dest_checksum, algorithm)
    if "checksum_dest" not in result and fs.exists(dest):
        result.update(checksum_dest=checksum(fs, dest, algorithm), size=fs.size(dest))
    result["elapsed"] = round(time.monotonic() - started, 6)
    return result


def remote_is_newer(ctx, p, url, dest):
    """force=no: a HEAD request; a server that sends no Last-Modified makes .NET report 'now', so it is newer."""
    modified = request(ctx, p, url, method="HEAD").last_modified
    return (time.time() if modified is None else modified) > float(ctx.twin.files.get(dest).get("mtime", 0))


def download(ctx, p, result, url, dest, want, dest_checksum, algorithm):
    parent = ntpath.dirname(dest)
    if not ctx.twin.files.is_dir(parent):
        fail_with(ctx, f"The path '{parent}' does not exist for destination '{dest}', or is not visible to the current "
                 "user. " + NO_FOLDER, result)
    what = f"Error downloading '{url}' to '{dest}': "
    body = fetch(ctx, p, result, url, what)
    fs = ctx.twin.files
    module_tmp = ntpath.join(ctx.expand(ctx.meta.get("_ansible_remote_tmp") or "%TEMP%"),
                             f"ansible-moduletmp-{time.time_ns()}-{random.randrange(10**9)}")
    tmp_dest = ntpath.join(module_tmp, f"{random.randrange(16**8):08x}.tmp")
    try:
        try:
            fs.write(tmp_dest, body)  # [System.IO.File]::Create + $Stream.CopyTo($fs)
        except Win32Error as exc:
            fail_with(ctx, f'{what}Exception calling "CopyTo" with "1" argument(s): "{exc.message}\r\n"', result)
        result["checksum_src"] = got = hashlib.new(algorithm, body).hexdigest()
        if want and want != got:
            fail_with(ctx, f"The checksum for {url} did not match '{want}', it was '{got}'", result)
        if dest_checksum == got:
            result.update(checksum_dest=dest_checksum, size=fs.size(dest))
            return
        if not ctx.check_mode:
            try:
                fs.copy(tmp_dest, dest)  # Copy-Item -Force
            except Win32Error as exc:
                fail_with(ctx, f"{what}{exc.message}\r\n", result)
        result["changed"] = True
    finally:
        if fs.exists(module_tmp):
            fs.remove(module_tmp)  # Ansible.Basic removes its Tmpdir when the module exits


def checksum_from_url(ctx, p, result, checksum_url, url, dest):
    if local_path(checksum_url) is None and urlsplit(checksum_url).scheme not in ("file", "ftp", "http", "https"):
        fail_with(ctx, f"Unsupported 'checksum_url' value for '{dest}': '{checksum_url}'", result)
    text = fetch(ctx, p, result, checksum_url, f"Error when getting the remote checksum from '{checksum_url}'. ",
                 reader='ReadToEnd" with "0').decode()
    basename = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    lines = [x for x in re.split(r"\r?\n", text) if re.search(r"\s+\.?/?\\?" + re.escape(basename) + r"\s*$", x)]
    if not lines:
        fail_with(ctx, f"Checksum record not found for file name '{basename}' in file from url: '{checksum_url}'",
                  result)
    return re.sub(r"\W+", "", lines[0].split(" ", 1)[0].strip()).lower()  # PowerShell compares case-insensitively
