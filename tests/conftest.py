import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
os.environ.setdefault("no_proxy", "127.0.0.1,localhost")

from tests import labschedule, labworkers  # noqa: E402  (after the path above)

# under pytest-xdist (make test: -n 2), every worker but gw0 runs on a lab of its own; before anything reads lab/config
labworkers.activate(os.environ.get("PYTEST_XDIST_WORKER"))


@pytest.fixture(scope="session")
def lab():
    """The lab, started if it is not running (and stopped again if this session started it)."""
    from tests.labfixture import Lab

    instance = Lab()
    instance.up()
    instance.reset()
    yield instance
    instance.down()


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PYTEST_XDIST_WORKER"):  # plain pytest keeps its order
        labschedule.order(items)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadfile":
        return labschedule.make_scheduler(config, log)
    return None
