# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The handoff: a wizard step an operator performs, its note on the server, what proves it done, what comes next.

Plain Python, no Ansible import: the action plugin (plugins/action/sync_handoff.py) and an AWX approval flow
share these rules. Three parts:

- the note (render_note / parse_note): the text file on the server's all-users desktop. Its format is the
  contract the lab's autopilot parses too (it keeps its own parser: the lab never imports plugins):

      entra-sync-upgrade handoff v1
      Step: <step id>
      Host: <inventory name> (<computer name>)
      Issued: <UTC ISO 8601>
      <Key>: <value>                 one line per parameter
      <blank>
      What to do:
      1. <instruction>
      When it is done, the run sees:
      - <check text>

- the checks (evaluate): each {fact, one of equals|at_least|includes|count_at_least, text} over the `sync`
  facts (plugins/modules/sync_facts.py);
- the state machine (next_step): from one probe's outcome to the note action and the status.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ._version import parse_version

STEPS = ("upgrade", "auto_upgrade", "wizard_files", "dirsync_export", "install_import", "install_migrate",
         "install_manual", "staging_on", "staging_off")
PLANNED, UNCHANGED, WAITING, DONE, FAILED = "planned", "unchanged", "waiting", "done", "failed"
STATUSES = (PLANNED, UNCHANGED, WAITING, DONE, FAILED)
MODES = ("wait", "stop")
OPERATORS = ("equals", "at_least", "includes", "count_at_least")
# what the note on the server is, compared with the note this run would write
NOTE_ABSENT, NOTE_CURRENT, NOTE_STALE = "absent", "current", "stale"

HEADER = "entra-sync-upgrade handoff v1"
NOTE_FOLDER = "%PUBLIC%\\Desktop"  # C:\Users\Public\Desktop: the all-users desktop every operator sees
TODO_HEADING = "What to do:"
SEES_HEADING = "When it is done, the run sees:"
_FIXED_KEYS = ("Step", "Host", "Issued")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9-]*\Z")
_PRINTABLE = re.compile(r"[ -~]*\Z")  # one line of printable ASCII: what the note (and the transport) carries
_HOST_LINE = re.compile(r"(?P<host>.*?)(?: \((?P<computer>[^()]*)\))?\Z")


class HandoffError(ValueError):
    """An option the handoff cannot use; the message says which and why."""


def note_name(step: str) -> str:
    return f"entra-sync-upgrade-{step}.txt"


def utc_stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- the note ------------------------------------------------------------------------------------------------

def render_note(step: str, host: str, computer: str | None, issued: str, parameters: dict,
                instructions: list[str], sees: list[str]) -> list[str]:
    """The note's lines (the script writes them with CRLF)."""
    lines = [HEADER, f"Step: {step}", f"Host: {host}" + (f" ({computer})" if computer else ""), f"Issued: {issued}"]
    lines += [f"{key}: {value}" for key, value in parameters.items()]
    lines += ["", TODO_HEADING]
    lines += [f"{n}. {text}" for n, text in enumerate(instructions, 1)]
    lines += [SEES_HEADING]
    lines += [f"- {text}" for text in sees]
    for line in lines:
        if not _PRINTABLE.match(line):
            raise HandoffError(f"the note carries printable ASCII only, one line each: {line!r}")
    return lines


def parse_note(text: str) -> dict:
    """{step, host, computer, issued, parameters, instructions, sees} from a note's text; ValueError if it is not
    one (another header, a missing fixed line or section)."""
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and not lines[-1]:
        lines.pop()
    if not lines or lines[0] != HEADER:
        raise ValueError(f"not a handoff note: the first line is not {HEADER!r}")
    fields: dict[str, str] = {}
    parameters: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i]:
        key, sep, value = lines[i].partition(": ")
        if not sep or not _KEY.match(key):
            raise ValueError(f"line {i + 1} is not 'Key: value': {lines[i]!r}")
        (fields if key in _FIXED_KEYS and key not in fields else parameters)[key] = value
        i += 1
    missing = [k for k in _FIXED_KEYS if k not in fields]
    if missing:
        raise ValueError(f"the note lacks {', '.join(missing)}")
    rest = lines[i + 1:]
    if TODO_HEADING not in rest or SEES_HEADING not in rest:
        raise ValueError(f"the note lacks {TODO_HEADING!r} or {SEES_HEADING!r}")
    todo_at, sees_at = rest.index(TODO_HEADING), rest.index(SEES_HEADING)
    instructions = [re.sub(r"^\d+\. ", "", line, count=1) for line in rest[todo_at + 1:sees_at]]
    sees = [line[2:] if line.startswith("- ") else line for line in rest[sees_at + 1:]]
    host = _HOST_LINE.match(fields["Host"])
    return {"step": fields["Step"], "host": host.group("host"), "computer": host.group("computer"),
            "issued": fields["Issued"], "parameters": parameters, "instructions": instructions, "sees": sees}


def same_request(note: dict, other: dict) -> bool:
    """Two parsed notes ask the same thing of the same host (the time they were issued aside)."""
    keys = ("step", "host", "computer", "parameters", "instructions", "sees")
    return all(note.get(k) == other.get(k) for k in keys)


# ---- options ---------------------------------------------------------------------------------------------------

def validate(step: str, instructions, parameters, expect, mode: str, timeout_minutes: float,
             poll_seconds: float) -> list[dict]:
    """The checks, normalised; HandoffError for anything the handoff cannot use."""
    if step not in STEPS:
        raise HandoffError(f"step must be one of {', '.join(STEPS)}, not {step!r}")
    if mode not in MODES:
        raise HandoffError(f"mode must be wait or stop, not {mode!r}")
    if timeout_minutes < 0 or poll_seconds <= 0:
        raise HandoffError("timeout_minutes must be 0 or more and poll_seconds more than 0")
    if not instructions or not all(isinstance(t, str) and t.strip() for t in instructions):
        raise HandoffError("instructions must be a non-empty list of lines of text")
    for key, value in (parameters or {}).items():
        if not _KEY.match(str(key)) or key in _FIXED_KEYS:
            raise HandoffError(f"parameter name {key!r}: letters, digits and '-', and not {', '.join(_FIXED_KEYS)}")
        if not isinstance(value, str) or not _PRINTABLE.match(value):
            raise HandoffError(f"parameter {key}: one line of printable ASCII text, not {value!r}")
    if not expect:
        raise HandoffError("expect must list at least one check: without one the run cannot tell the step is done")
    return [_check(c, n) for n, c in enumerate(expect, 1)]


def _check(check, n: int) -> dict:
    if not isinstance(check, dict) or not isinstance(check.get("fact"), str) or not check["fact"]:
        raise HandoffError(f"expect[{n}] needs fact (a dotted path into the sync facts): {check!r}")
    ops = [op for op in OPERATORS if op in check]
    if len(ops) != 1:
        raise HandoffError(f"expect[{n}] ({check['fact']}) needs exactly one of {', '.join(OPERATORS)}")
    op, expected = ops[0], check[ops[0]]
    if op == "at_least" and parse_version(expected) is None and not _is_number(expected):
        raise HandoffError(f"expect[{n}] ({check['fact']}): at_least needs a version or a number, not {expected!r}")
    if op == "count_at_least" and (not isinstance(expected, int) or isinstance(expected, bool) or expected < 0):
        raise HandoffError(f"expect[{n}] ({check['fact']}): count_at_least needs a whole number, not {expected!r}")
    if op == "includes":
        expected = [expected] if isinstance(expected, str) else expected
        if not isinstance(expected, list) or not all(isinstance(x, str) for x in expected):
            raise HandoffError(f"expect[{n}] ({check['fact']}): includes needs a name or a list of names")
    text = check.get("text") or describe(check["fact"], op, expected)
    return {"fact": check["fact"], "op": op, "expected": expected, "text": str(text)}


def describe(fact: str, op: str, expected) -> str:
    words = {"equals": "is", "at_least": "is at least", "includes": "includes", "count_at_least": "counts at least"}
    shown = ", ".join(expected) if isinstance(expected, list) else expected
    return f"{fact} {words[op]} {shown}"


# ---- the checks ------------------------------------------------------------------------------------------------

_MISSING = object()


def lookup(facts: dict, path: str):
    """The value at a dotted path, or _MISSING. In a list of named entries (services, connectors) the next part
    is an entry's name, in any case as Windows names are: services.ADSync.state; a name may hold dots
    (connectors.contoso.com.type): the longest name that matches wins."""
    parts = path.split(".")
    value, i = facts, 0
    while i < len(parts):
        if isinstance(value, dict):
            value, i = value.get(parts[i], _MISSING), i + 1
        elif isinstance(value, list):
            value, i = _named(value, parts, i)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _named(entries: list, parts: list[str], i: int):
    for j in range(len(parts), i, -1):
        name = ".".join(parts[i:j]).lower()
        found = [x for x in entries if isinstance(x, dict) and str(x.get("name", "")).lower() == name]
        if found:
            return found[0], j
    return _MISSING, len(parts)


def evaluate(checks: list[dict], facts: dict) -> list[dict]:
    """Each normalised check with what was seen and whether it holds."""
    out = []
    for check in checks:
        seen = lookup(facts or {}, check["fact"])
        ok = seen is not _MISSING and _holds(check["op"], seen, check["expected"])
        out.append({**check, "seen": None if seen is _MISSING else seen, "ok": bool(ok)})
    return out


def all_hold(results: list[dict]) -> bool:
    return all(r["ok"] for r in results)


def observed(results: list[dict]) -> dict:
    """fact -> the value seen, as the result's `observed` reports it."""
    return {r["fact"]: r["seen"] for r in results}


def _holds(op: str, seen, expected) -> bool:
    if op == "equals":
        if isinstance(seen, str) and isinstance(expected, str) and parse_version(seen) and parse_version(expected):
            return parse_version(seen) == parse_version(expected)  # 2.5.190 is 2.5.190.0
        if _is_number(seen) and _is_number(expected):
            return seen == expected
        return _kind(seen) == _kind(expected) and seen == expected  # True is not 1, "1" is not 1
    if op == "at_least":
        if _is_number(seen) and _is_number(expected):
            return seen >= expected
        a, b = parse_version(seen), parse_version(expected)
        return a is not None and b is not None and a >= b
    if op == "includes":
        names = {_name(x).lower() for x in seen} if isinstance(seen, list) else set()
        return all(x.lower() in names for x in expected)
    if op == "count_at_least":
        return isinstance(seen, (list, dict)) and len(seen) >= expected
    raise HandoffError(f"unknown check operator {op!r}")


def _name(entry) -> str:
    return str(entry.get("name", "")) if isinstance(entry, dict) else str(entry)


def _kind(value) -> str:
    # by isinstance, not type(): Ansible hands the options over as str and dict subclasses
    for kind, types in (("bool", bool), ("number", (int, float)), ("text", str), ("list", list), ("dict", dict)):
        if isinstance(value, types):
            return kind
    return "other"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def mismatch(results: list[dict]) -> str:
    """'expected X; saw Y' for the checks that do not hold."""
    failing = [r for r in results if not r["ok"]] or results
    expected = "; ".join(r["text"] for r in failing)
    seen = "; ".join(f"{r['fact']} = {_shown(r['seen'])}" for r in failing)
    return f"expected {expected}; saw {seen}"


def _shown(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_name(x) for x in value) + "]"
    return "nothing" if value is None else str(value)


# ---- the state machine -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    note: str | None  # "write", "remove" or None: what to do to the note on the server
    status: str  # one of STATUSES
    finished: bool  # False: probe again after poll_seconds (status is then WAITING)


def next_step(check_mode: bool, mode: str, holds: bool | None, note: str, elapsed: float | None = None,
              timeout: float = 0.0) -> Step:
    """What comes next after one probe. holds: the expectation holds (None: the probe could not tell, e.g. the
    host restarts); note: NOTE_ABSENT, NOTE_CURRENT or NOTE_STALE; elapsed: seconds waited so far, None at the
    first probe (before any note of this run); timeout: seconds to wait at most. In check mode the note action
    is what a real run would do (the caller performs none)."""
    if elapsed is None:
        if holds is None:
            return Step(None, FAILED, True)
        if holds:
            return Step("remove" if note != NOTE_ABSENT else None, UNCHANGED, True)
        write = "write" if note != NOTE_CURRENT else None
        if check_mode:
            return Step(write, PLANNED, True)
        return Step(write, WAITING, mode == "stop")
    if holds:
        return Step("remove", DONE, True)
    if elapsed >= timeout:
        return Step(None, FAILED, True)
    return Step(None, WAITING, False)


def resume_hint(step: str) -> str:
    return (f"step {step} is handed to the operator (see the note on the server's desktop); once it is done, run "
            "the same playbook again (e.g. upgrade.yml) to continue; in AWX approve the workflow's approval node")
