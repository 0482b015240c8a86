#!/bin/sh
# Adds ConsentDesk to this user's application menu. Run it from the unpacked bundle folder, where it sits
# beside the `consentdesk` program; run it again after moving the folder.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data=${XDG_DATA_HOME:-$HOME/.local/share}
mkdir -p "$data/applications" "$data/icons/hicolor/256x256/apps"
cp "$here/_internal/resources/icons/consentdesk.png" "$data/icons/hicolor/256x256/apps/consentdesk.png"
sed -e "s|^Exec=.*|Exec=\"$here/consentdesk\"|" -e "s|^TryExec=.*|TryExec=$here/consentdesk|" \
    "$here/consentdesk.desktop" > "$data/applications/consentdesk.desktop"
echo "ConsentDesk added to the application menu ($data/applications/consentdesk.desktop)"
