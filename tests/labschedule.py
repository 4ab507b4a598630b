"""How test files go to pytest-xdist workers (`make test`: -n 2 --dist loadfile; hooks in tests/conftest.py).

xdist's loadfile keeps each file on one worker (its module fixtures share a lab's state). Two changes:

- a file that starts from the lab state another file leaves runs on that file's worker, right after it
  (FOLLOWS: the cutover tests start from the estate test_upgrade.py saved; on another worker they would upgrade
  it again themselves, which is slower and not the run a plain `pytest` makes);
- the slowest files go out first, longest first (SLOWEST, from `pytest --durations` on the 2-core machine), so that
  no long file starts last while the other worker has nothing left; every other file keeps its collection order.
  xdist's own reordering (by the number of tests in a file) would send the big parametrized unit files first and
  the few slow integration files last.

Neither changes what a test sees: only which worker runs a file, and when.
"""

from __future__ import annotations

FOLLOWS = {"tests/integration/test_upgrade_then_cutover.py": "tests/integration/test_upgrade.py"}
SLOWEST = [  # wall seconds alone on the machine, roughly: 135+ (with the cutover tests after it), 110, 100, 80 ...
    "tests/integration/test_upgrade.py",
    "tests/integration/test_upgrade_resume.py",
    "tests/integration/test_faults.py",
    "tests/integration/test_assess_failures.py",
    "tests/integration/test_awx_jobs.py",  # the AWX jobs: an assessment and the upgrade workflow (wait vs stop)
    "tests/integration/test_molecule.py",
    "tests/integration/test_assess.py",
    "tests/integration/test_prerequisites.py",
    "tests/integration/test_installer.py",
    "tests/integration/test_backup.py",
    "tests/integration/test_bad_input.py",
    "tests/integration/test_lab_fidelity.py",
    "tests/integration/test_sync_engine.py",
]


def scope_of(nodeid: str) -> str:
    """The work unit of a test: its file, or the file it follows."""
    path = nodeid.split("::", 1)[0]
    return FOLLOWS.get(path, path)


def order(items: list) -> None:
    """Put the items of the slowest work units first (in place; stable, so a unit keeps its order within)."""
    rank = {path: i for i, path in enumerate(SLOWEST)}
    items.sort(key=lambda item: rank.get(scope_of(item.nodeid), len(SLOWEST)))


def make_scheduler(config, log):
    """xdist's loadfile, by scope_of and in collection order (which `order` arranged in every worker alike)."""
    from xdist.scheduler import LoadFileScheduling

    class LabFileScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return scope_of(nodeid)

    config.option.loadscopereorder = False
    return LabFileScheduling(config, log)
