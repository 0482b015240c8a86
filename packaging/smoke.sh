#!/usr/bin/env bash
# Build the PyInstaller bundle and prove it runs from the bundle: --version, a headless command that
# reads forms/ from the bundle, and a form PDF. Slow (minutes), so not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m pip install -q -e '.[build]'
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
BIN=dist/consentdesk/consentdesk
"$BIN" --version
tmp=$(mktemp -d)
"$BIN" --catalog "$tmp/c.sqlite" consent add --json forms/examples/adult.json
"$BIN" --catalog "$tmp/c.sqlite" forms blank --count 2 --out "$tmp/blank.pdf"
"$BIN" --catalog "$tmp/c.sqlite" audit verify
echo "bundle OK: $(du -sh dist/consentdesk | cut -f1)"
