#!/bin/bash
# Make a drag-to-Applications DMG from the built .app (macOS only: needs hdiutil).
#
#   bash packaging/macos/make_dmg.sh "dist/Claude Status Tray.app" 0.1.0
#   -> dist/claude-status-tray-0.1.0-macos.dmg
#
# Sign the .app BEFORE this (see packaging/macos/SIGNING.md), then sign and notarize the DMG.
set -euo pipefail

APP_PATH=${1:?usage: make_dmg.sh <path/to/App.app> <version>}
VERSION=${2:?usage: make_dmg.sh <path/to/App.app> <version>}
VOLNAME="Claude Status Tray"
OUT_DIR=$(cd "$(dirname "$APP_PATH")" && pwd)
DMG="$OUT_DIR/claude-status-tray-$VERSION-macos.dmg"

if ! command -v hdiutil >/dev/null 2>&1; then
    echo "make_dmg.sh: hdiutil not found (this recipe runs on macOS only)" >&2
    exit 1
fi
if [ ! -d "$APP_PATH/Contents/MacOS" ]; then
    echo "make_dmg.sh: $APP_PATH is not an .app bundle" >&2
    exit 1
fi

STAGING=$(mktemp -d)
trap 'rm -rf "$STAGING"' EXIT
# ditto keeps symlinks, extended attributes and code signatures intact (cp -R may not).
ditto "$APP_PATH" "$STAGING/$(basename "$APP_PATH")"
ln -s /Applications "$STAGING/Applications"

rm -f "$DMG"
hdiutil create -volname "$VOLNAME" -srcfolder "$STAGING" -fs HFS+ -format UDZO -ov "$DMG"
hdiutil verify "$DMG"
echo "DMG: $DMG"
