#!/usr/bin/env bash
# Print a Python interpreter >= 3.12 (ansible-core 2.21 needs it): $PYTHON if set, else the newest found.
set -euo pipefail
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
if [ -n "${PYTHON:-}" ]; then
  if ok "$PYTHON"; then echo "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not a Python >= 3.12 interpreter" >&2; exit 1
fi
candidates=(python3.13 python3.12)
for root in "${PYENV_ROOT:-$HOME/.pyenv}/versions"/3.1[2-9]* /usr/local/bin /usr/bin; do
  for exe in "$root"/bin/python3 "$root"/python3.13 "$root"/python3.12; do candidates+=("$exe"); done
done
candidates+=(python3)
for exe in "${candidates[@]}"; do
  path=$(command -v "$exe" 2>/dev/null || true)
  if [ -n "$path" ] && ok "$path"; then echo "$path"; exit 0; fi
done
echo "No Python >= 3.12 found (ansible-core 2.21 needs it). Install one, or run: make setup PYTHON=/path/to/python3.12" >&2
exit 1
