#!/usr/bin/env bash
# ansible-test sanity on the collection, offline: only the tests that need no download and no extra program
# (docs/quality-gates.md says which run, which do not, and why).
# ansible-test insists that its working directory really lies in ansible_collections/<namespace>/<name>/; the
# symlink `make setup` creates resolves back to the repository, so the tests run on a copy of the working tree
# (tracked and new files, not ignored ones) in a temporary folder that is removed afterwards.
# Arguments, when given, replace the test selection: scripts/sanity.sh --list-tests --allow-disabled
set -euo pipefail
cd "$(dirname "$0")/.."
TESTS=(action-plugin-docs compile empty-init ignores line-endings no-assert no-get-exception no-illegal-filenames
       no-smart-quotes replace-urlopen shebang symlinks use-argspec-type-path use-compat-six)
python=.venv/bin/python  # the project venv (make setup), whose ansible-core is tested
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
bin=$(cd "$(dirname "$python")" && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
copy="$tree/ansible_collections/entra/sync_upgrade"
mkdir -p "$copy"
git ls-files -z --cached --others --exclude-standard | grep -zv '^\.venv$' | tar --null -T - -cf - | tar -xf - -C "$copy"
cd "$copy"
# the venv's bin first: ansible-test looks for python$version on PATH
if [ $# -eq 0 ]; then set -- "${TESTS[@]/#/--test=}"; fi
PATH="$bin:$PATH" "$bin/ansible-test" sanity --color no --python "$version" "$@"
