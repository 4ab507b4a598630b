# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_report_write: write a built fleet report's files on the controller, owner-only, in one task.

The report role wrote them with six module tasks (file, tempfile, copy, two templates, a link): each ran as a
module in a Python process of its own, about 0.3-0.7 s apiece whatever the fleet's size, most of a small run's
time (docs/performance.md). Here: the run's own folder (never shared with another run), report.json as
to_nice_json writes it, report.md and report.html from the role's Jinja templates (plain Jinja, rendered as the
template module renders them), each file 0600 in a 0700 folder, then the `latest` link, replaced atomically.

It writes under --check too: the report is local, and writing it is the whole purpose of a dry run. It reports
no change: the local report is not a change to any server.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import jinja2
from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.action import ActionBase
from ansible.plugins.filter.core import to_nice_json

FILES = {"json": "report.json", "markdown": "report.md", "html": "report.html"}
TEMPLATES = {"markdown": "report.md.j2", "html": "report.html.j2"}
LATEST = "latest"

ARGUMENT_SPEC = {
    "report": {"type": "dict", "required": True},
    "dir": {"type": "path", "required": True},
    "prefix": {"type": "str", "default": ""},
    "formats": {"type": "list", "elements": "str", "choices": list(FILES), "default": list(FILES)},
    "title": {"type": "str"},
}


def _write_new(path: Path, text: str) -> None:
    """A new file, owner-only from its creation (never readable by others, even for a moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


def _point_latest(folder: Path) -> None:
    """<dir>/latest -> the folder's name (relative, so the reports folder can move), replaced in one rename."""
    link = folder.parent / LATEST
    tmp = folder.parent / f".{LATEST}-{folder.name}"
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.name)
    try:
        os.replace(tmp, link)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


class ActionModule(ActionBase):
    _requires_connection = False  # the controller's files only

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True  # writes the local report under --check too (the module's docs)
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        formats = list(dict.fromkeys(args["formats"]))  # each file once, in the order given
        reports = Path(args["dir"])
        if not reports.is_absolute():
            raise AnsibleActionFail(f"dir must be an absolute path, got {args['dir']!r}")
        text = to_nice_json(args["report"]) + "\n"  # keys sorted, as report.json has always been
        # plain data, in the report's own order, for plain Jinja (the templates are rendered without Ansible's types)
        report = json.loads(json.dumps(args["report"], cls=AnsibleJSONEncoder))
        templates = {fmt: Path(self._find_needle("templates", TEMPLATES[fmt]))
                     for fmt in formats if fmt in TEMPLATES}
        try:
            reports.mkdir(mode=0o700, parents=True, exist_ok=True)
            reports.chmod(0o700)  # an existing folder too: reports name servers and service accounts
            folder = Path(tempfile.mkdtemp(prefix=args["prefix"], dir=reports))  # 0700, never an existing one
            written = []
            for fmt in formats:
                content = text if fmt == "json" else self._render(templates[fmt], report, args["title"])
                _write_new(folder / FILES[fmt], content)
                written.append(str(folder / FILES[fmt]))
            _point_latest(folder)
        except OSError as exc:
            raise AnsibleActionFail(f"cannot write the report under {reports}: {exc}") from None
        return {**result, "changed": False, "path": str(folder), "files": written}

    @staticmethod
    def _render(template: Path, report: dict, title: str | None) -> str:
        # as the template module renders: trim_blocks on, lstrip_blocks off, the template's trailing newline kept
        env = jinja2.Environment(loader=jinja2.FileSystemLoader(template.parent), trim_blocks=True,
                                 keep_trailing_newline=True, undefined=jinja2.StrictUndefined, autoescape=False)
        variables = {"__sync_report": report, **({"sync_report_title": title} if title is not None else {})}
        return env.get_template(template.name).render(variables)
