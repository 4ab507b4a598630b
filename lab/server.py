"""The lab process: one HTTPS and one HTTP listener per lab host, all in one Python process."""

from __future__ import annotations

import logging
import os
import signal
import ssl
import threading

from . import config, modules, pki
from .autopilot import Autopilot
from .downloads.server import DownloadServer
from .operator import Operator
from .powershell.dispatch import Dispatcher
from .powershell.scripts import PROJECT_SCRIPTS
from .twin.store import TwinStore
from .wsman.requestlog import RequestLog
from .wsman.server import Endpoint, HostServer
from .wsman.shells import ShellManager

log = logging.getLogger("lab")


def write_ntlm_users(path, creds: config.Credentials, hosts: list[config.LabHost]) -> None:
    """pyspnego's NTLM acceptor reads NTLM_USER_FILE: list every domain form a client may send."""
    lines = [f":{creds.username}:{creds.password}"]
    for host in hosts:
        lines.append(f"{host.name.upper()[:15]}:{creds.username}:{creds.password}")
    lines.append(f"LAB:{creds.username}:{creds.password}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    os.environ["NTLM_USER_FILE"] = str(path)


def tls_certificates() -> dict[str, tuple[ssl.SSLContext, bytes]]:
    """Every certificate a host's HTTPS listener can present: kind -> (context, channel binding hash)."""
    out = {}
    for kind, (cert, key) in pki.ensure_pki(config.pki_dir()).items():
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert, key)
        out[kind] = (context, pki.channel_binding_hash(cert))
        modules.LISTENER_CERTIFICATES[kind] = cert.read_bytes()  # setup's ansible_win_rm_certificate_* facts
    return out


def build_servers(hosts: list[config.LabHost], creds: config.Credentials) -> list[HostServer]:
    certificates = tls_certificates()
    store = TwinStore(config.state_dir(), config.PROFILES_DIR)
    servers = []
    for host in hosts:
        store.ensure(host.name, host.profile, host.hostname)
        dispatcher = Dispatcher(host.name, store, creds.username, PROJECT_SCRIPTS, modules.run)
        endpoint = Endpoint(host.name, ShellManager(dispatcher, fault_hook=dispatcher.fire_fault), RequestLog(config.log_dir() / f"{host.name}.jsonl"),
                            creds.username, creds.password, describe_command=dispatcher.describe,
                            listener=lambda name=host.name: store.listener(name),
                            availability=lambda name=host.name: store.availability(name))
        servers.append(HostServer((host.address, host.https_port), endpoint, certificates))
        servers.append(HostServer((host.address, host.http_port), endpoint))
    return servers


def serve() -> None:
    """Run until SIGTERM/SIGINT. Called by `python -m lab serve` (which `lab up` starts in the background)."""
    logging.basicConfig(level=os.environ.get("LAB_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    hosts = config.load_hosts()
    creds = config.load_credentials()
    config.run_dir().mkdir(parents=True, exist_ok=True)
    write_ntlm_users(config.run_dir() / "ntlm_users", creds, hosts)
    servers = build_servers(hosts, creds)
    download_port = config.load_download_port()
    if download_port is not None:
        servers.append(DownloadServer(("127.0.0.1", download_port), config.downloads_dir(),
                                      config.log_dir() / "downloads.jsonl", (creds.username, creds.password)))
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True, name=f"lab-{srv.server_port}").start()
    log.info("lab serving %d hosts on %d ports", len(hosts), len(servers))
    stop = threading.Event()
    pilot = Autopilot(Operator(TwinStore(config.state_dir(), config.PROFILES_DIR), config.operator_log()),
                      [h.name for h in hosts], config.autopilot_state())
    threading.Thread(target=pilot.run, args=(stop,), daemon=True, name="lab-autopilot").start()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    (config.run_dir() / "ready").write_text(str(os.getpid()))
    stop.wait()
    # each listener's shutdown waits for its serve loop's next poll: stop them all at once, not one after another
    stoppers = [threading.Thread(target=srv.shutdown) for srv in servers]
    for thread in stoppers:
        thread.start()
    for thread in stoppers:
        thread.join()
    for srv in servers:
        srv.server_close()
    log.info("lab stopped")
