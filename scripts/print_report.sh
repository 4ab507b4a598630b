#!/usr/bin/env bash
# Print an HTML report as a browser's "save as PDF" does, and each page as a PNG to look at:
#   scripts/print_report.sh <report.html> <out-folder> [A4|Letter]
# Needs Debian's chromium and poppler-utils (apt-get install chromium poppler-utils); the tests do not: they check
# the print stylesheet itself (tests/unit/plugins/plugin_utils/test_report_board.py).
# The report leaves the paper size to the printer (@page has none); the size given here is set the way a print
# dialog would, by a one-line @page rule in a copy of the page.
set -euo pipefail
html=$1 out=$2 size=${3:-A4}
for tool in chromium pdftoppm; do
  command -v "$tool" >/dev/null || { echo "print_report.sh: $tool not found (apt-get install chromium poppler-utils)" >&2; exit 2; }
done
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|</head>|<style>@page { size: $size; }</style></head>|" "$html" > "$work/report.html"
# the flags keep headless Chromium off the network (a closed network refuses its background connections)
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$work/profile" --no-pdf-header-footer \
  --print-to-pdf="$out/report-$size.pdf" "file://$work/report.html" 2>/dev/null
pdftoppm -png -r 60 "$out/report-$size.pdf" "$out/report-$size"
ls "$out"
