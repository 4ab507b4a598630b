"""What the lab's download server serves: generated lab installers, by URL path.

    /installers/<variant>/<ProductVersion>/<size in bytes>/<file name>

e.g. /installers/signed/2.5.190.0/1048576/AzureADConnect.msi. Variants are lab/twin/labmsi.py's (signed,
unsigned, tampered, wrong_signer, untrusted). The same path always serves the same bytes, so an inventory can
carry the installer's SHA-256. Each installer is built once and kept under .lab/downloads/.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from ..twin import labmsi

INSTALLER_PATH = re.compile(
    r"^/installers/(?P<variant>[a-z_]+)/(?P<version>\d+(?:\.\d+){1,3})/(?P<size>\d+)/(?P<name>[A-Za-z0-9._-]+)$")
MAX_SIZE = 1024 * 2**20  # 1 GiB: larger than any Entra Connect package


class Catalog:
    def __init__(self, cache_dir: Path):
        self.cache_dir = Path(cache_dir)

    def file_for(self, path: str) -> Path | None:
        """The file that serves this URL path (built on first use); None when the server has nothing there."""
        match = INSTALLER_PATH.match(path.split("?", 1)[0])
        if not match or match["variant"] not in labmsi.VARIANTS or not 1024 <= int(match["size"]) <= MAX_SIZE:
            return None
        cached = self.cache_dir / f"{match['variant']}-{match['version']}-{match['size']}.msi"
        if not cached.exists():
            body = labmsi.build(int(match["size"]), match["version"], match["variant"])
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, prefix=".building-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.replace(tmp, cached)
        return cached
