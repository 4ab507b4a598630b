"""python -m lab up | down | status | snapshot [HOST...] | reset [HOST...] | log HOST | operator HOST [STEP] |
autopilot on|off | fault HOST KIND [--when W] [--times N] [--param K=V] | fault HOST --clear | fault --list | serve"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

from . import autopilot, config
from .operator import WRONG, Operator, OperatorError
from .twin import faults as fault_model
from .twin.store import TwinStore
from .wsman import requestlog

PID_FILE = "lab.pid"


def _pid() -> int | None:
    path = config.run_dir() / PID_FILE
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, ValueError):
        return None
    return pid


def _port_open(port: int, address: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((address, port)) == 0


def _store() -> TwinStore:
    return TwinStore(config.state_dir(), config.PROFILES_DIR)


def up(args) -> int:
    hosts = config.load_hosts()
    if _pid():
        print(f"lab already running (pid {_pid()})")
        return status(args)
    busy = [h.name for h in hosts for p in (h.https_port, h.http_port) if _port_open(p)]
    download_port = config.load_download_port()
    if download_port is not None and _port_open(download_port):
        busy.append(f"the download server ({download_port})")
    if busy:
        print(f"lab: port in use for {', '.join(sorted(set(busy)))}; is another lab running?",
              file=sys.stderr)
        return 1
    run = config.run_dir()
    run.mkdir(parents=True, exist_ok=True)
    (run / "ready").unlink(missing_ok=True)
    autopilot.write_state(config.autopilot_state(), False)  # a started lab waits for its operator
    logfile = open(run / "lab.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "lab", "serve"], cwd=config.REPO, stdout=logfile,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    (run / PID_FILE).write_text(str(proc.pid))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(f"lab: server exited with {proc.returncode}; see {run / 'lab.log'}", file=sys.stderr)
            print((run / "lab.log").read_text()[-3000:], file=sys.stderr)
            return 1
        download_port = config.load_download_port()
        if (run / "ready").exists() and all(_port_open(h.https_port) for h in hosts) and (
                download_port is None or _port_open(download_port)):
            return status(args)
        time.sleep(0.1)
    print("lab: server did not become ready within 60 s", file=sys.stderr)
    return 1


def down(args) -> int:
    pid = _pid()
    if not pid:
        print("lab is not running")
        (config.run_dir() / PID_FILE).unlink(missing_ok=True)
        return 0
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (config.run_dir() / PID_FILE).unlink(missing_ok=True)
    print(f"lab stopped (pid {pid})")
    return 0


def status(args) -> int:
    pid = _pid()
    hosts = config.load_hosts()
    store = _store()
    print(f"lab {'running, pid ' + str(pid) if pid else 'stopped'}; state in {config.home()}")
    print(f"{'host':28} {'profile':26} {'https':>6} {'http':>6}  {'PowerShell':10} listening")
    ok = True
    for h in hosts:
        listening = _port_open(h.https_port) and _port_open(h.http_port)
        ok = ok and (listening or not pid)
        ps = store.load(h.name).powershell_version if store.path(h.name).exists() else "-"
        print(f"{h.name:28} {h.profile:26} {h.https_port:>6} {h.http_port:>6}  {ps:10} {'yes' if listening else 'no'}")
    download_port = config.load_download_port()
    if download_port is not None:
        listening = _port_open(download_port)
        ok = ok and (listening or not pid)
        print(f"{'(download server)':28} {'lab/downloads':26} {'-':>6} {download_port:>6}  {'-':10} "
              f"{'yes' if listening else 'no'}")
    pilot = autopilot.read_state(config.autopilot_state())
    print(f"autopilot {'on' if pilot['enabled'] else 'off'} (delay {pilot['delay']:g} s)")
    return 0 if ok else 1


def _selected(names: list[str]) -> list[config.LabHost]:
    hosts = config.load_hosts()
    if not names:
        return hosts
    known = {h.name: h for h in hosts}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"lab: unknown host(s) {', '.join(unknown)}; see {config.inventory_dir() / 'hosts.yml'}")
    return [known[n] for n in names]


def reset(args) -> int:
    store = _store()
    for h in _selected(args.hosts):
        store.reset(h.name, h.profile, h.hostname)
        (config.log_dir() / f"{h.name}.jsonl").unlink(missing_ok=True)
    if not args.hosts:  # every twin is fresh: bodies only old runs wrote can go
        store.prune_blobs([h.name for h in config.load_hosts()])
    print(f"reset {len(_selected(args.hosts))} host(s) to their profiles")
    return 0


def snapshot(args) -> int:
    """A stable digest of the twins' state, then the state itself: equal digests mean nothing changed."""
    store = _store()
    hosts = _selected(args.hosts)
    for h in hosts:
        store.ensure(h.name, h.profile, h.hostname)
    names = [h.name for h in hosts]
    print(f"digest {store.digest(names)}")
    if not args.digest_only:
        print(json.dumps({n: store.load(n).to_dict() for n in names}, sort_keys=True, indent=1))
    return 0


def show_log(args) -> int:
    """A host's WinRM request log; `downloads` is the download server's log."""
    for entry in requestlog.read(config.log_dir() / f"{args.host}.jsonl"):
        print(json.dumps(entry, sort_keys=True))
    return 0


def operate(args) -> int:
    """Do the step of a host's handoff note (the newest, or the named step), as an operator would."""
    _selected([args.host])
    try:
        result = Operator(_store(), config.operator_log()).perform(args.host, args.step, args.wrong)
    except OperatorError as exc:
        print(f"lab operator: {exc}", file=sys.stderr)
        return 1
    wrong = f" (--wrong {args.wrong})" if args.wrong else ""
    print(f"{args.host}: step {result['step']} (issued {result['issued']}){wrong}: {result['message']}"
          f"{'' if result.get('changed') else '; nothing changed'}")
    return 0


def _param(text: str) -> tuple[str, object]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise fault_model.FaultError(f"--param {text!r}: expected KEY=VALUE")
    for convert in (int, float):
        try:
            return key, convert(value)
        except ValueError:
            pass
    return key, None if value == "null" else value


def fault(args) -> int:
    """Inject a fault on a host, clear a host's faults, or list every host's (lab/twin/faults.py)."""
    store = _store()
    if args.list:
        for h in _selected([args.host] if args.host else []):
            for rule in store.load(h.name).faults.peek() if store.path(h.name).exists() else []:
                print(json.dumps({"host": h.name, **rule}, sort_keys=True))
        return 0
    if not args.host or (not args.clear and not args.kind):
        print("lab fault: name a host and a kind (or --clear, or --list)", file=sys.stderr)
        return 2
    _selected([args.host])
    with store.session(args.host) as twin:
        if args.clear:
            print(f"{args.host}: cleared {twin.faults.clear()} fault(s)")
            return 0
        try:
            rule = twin.faults.add(args.kind, args.when, args.times, **dict(_param(p) for p in args.param))
        except (fault_model.FaultError, TypeError) as exc:
            print(f"lab fault: {exc}", file=sys.stderr)
            return 2
    print(f"{args.host}: {json.dumps(rule, sort_keys=True)}")
    return 0


def set_autopilot(args) -> int:
    state = autopilot.read_state(config.autopilot_state())
    delay = state["delay"] if args.delay is None else args.delay
    try:
        state = autopilot.write_state(config.autopilot_state(), args.mode == "on", delay)
    except ValueError as exc:
        print(f"lab autopilot: {exc}", file=sys.stderr)
        return 2
    print(f"autopilot {args.mode} (delay {state['delay']:g} s){'' if _pid() else '; the lab is not running'}")
    return 0


def serve(args) -> int:
    from .server import serve as run

    run()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description="The entra-sync-upgrade lab.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("up", help="start the lab in the background").set_defaults(func=up)
    sub.add_parser("down", help="stop the lab").set_defaults(func=down)
    sub.add_parser("status", help="show hosts and whether they listen").set_defaults(func=status)
    p = sub.add_parser("snapshot", help="print a digest and the state of the twins")
    p.add_argument("hosts", nargs="*")
    p.add_argument("--digest-only", action="store_true")
    p.set_defaults(func=snapshot)
    p = sub.add_parser("reset", help="rebuild twins from their profiles and clear their request logs")
    p.add_argument("hosts", nargs="*")
    p.set_defaults(func=reset)
    p = sub.add_parser("log", help="print a host's request log (downloads: the download server's; operator: "
                                   "what the operator and the autopilot did)")
    p.add_argument("host")
    p.set_defaults(func=show_log)
    p = sub.add_parser("operator", help="do the step of a host's handoff note, as the operator would")
    p.add_argument("host")
    p.add_argument("step", nargs="?")
    p.add_argument("--wrong", choices=WRONG, help="do it the wrong way (or skip it)")
    p.set_defaults(func=operate)
    p = sub.add_parser("autopilot", help="let the running lab do every note's step by itself (or stop it)")
    p.add_argument("mode", choices=("on", "off"))
    p.add_argument("--delay", type=float, help=f"seconds after a note appears (default {autopilot.DEFAULT_DELAY:g})")
    p.set_defaults(func=set_autopilot)
    p = sub.add_parser("fault", help="inject a fault on a host (per step), clear a host's faults, or list them")
    p.add_argument("host", nargs="?")
    p.add_argument("kind", nargs="?", choices=tuple(fault_model.KINDS))
    p.add_argument("--when", help="fire only when the host is asked this: a project script's marker name, a "
                                  "module's name, a command-line substring, a wizard step or a service")
    p.add_argument("--times", type=int, default=1, help="how many times it fires (0: until cleared; default 1)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="the kind's parameters, e.g. code=3010, service=ADSync, seconds=5, free_bytes=0")
    p.add_argument("--clear", action="store_true", help="remove every fault of the host")
    p.add_argument("--list", action="store_true", help="print the faults (of the host, or of every host)")
    p.set_defaults(func=fault)
    sub.add_parser("serve", help="run the lab in the foreground").set_defaults(func=serve)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except config.InventoryError as exc:
        print(f"lab: {exc}", file=sys.stderr)
        return 2
