#!/bin/sh
# Install Claude Status Tray from this unpacked tarball into ~/.local (no root needed).
#
#   ./install.sh               install (or upgrade in place)
#   ./install.sh --uninstall   remove everything install.sh put there
#
# PREFIX (default ~/.local) moves everything:
#   $PREFIX/lib/claude-status-tray/                 the program folder
#   $PREFIX/bin/claude-status-tray                  symlink to it (the CLI, too)
#   $PREFIX/share/applications/claude-status-tray.desktop        applications menu entry
#   $PREFIX/share/icons/hicolor/<N>x<N>/apps/claude-status-tray.png
# Start at login is separate: run `claude-status-tray autostart enable` (or use the tray menu).
set -eu

APP=claude-status-tray
PREFIX="${PREFIX:-$HOME/.local}"
HERE=$(cd "$(dirname "$0")" && pwd)
LIBDIR="$PREFIX/lib/$APP"
BINDIR="$PREFIX/bin"
APPSDIR="$PREFIX/share/applications"
ICONDIR="$PREFIX/share/icons/hicolor"

refresh_caches() {
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$APPSDIR" 2>/dev/null || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$ICONDIR" 2>/dev/null || true
    fi
}

# Escape for a sed replacement (we use | as the delimiter).
sed_escape() {
    printf '%s' "$1" | sed 's/[\\&|]/\\&/g'
}

uninstall() {
    if [ -L "$BINDIR/$APP" ]; then rm -f "$BINDIR/$APP"; fi
    rm -rf "$LIBDIR"
    rm -f "$APPSDIR/$APP.desktop"
    for icon in "$ICONDIR"/*/apps/"$APP".png; do
        if [ -e "$icon" ]; then rm -f "$icon"; fi
    done
    refresh_caches
    echo "Removed $APP from $PREFIX."
    echo "If you enabled start at login, also remove ${XDG_CONFIG_HOME:-$HOME/.config}/autostart/$APP.desktop"
}

install_app() {
    if [ ! -x "$HERE/$APP/$APP" ]; then
        echo "install.sh: $HERE/$APP/$APP not found; run me from the unpacked tarball" >&2
        exit 1
    fi
    if [ -e "$BINDIR/$APP" ] && [ ! -L "$BINDIR/$APP" ]; then
        echo "install.sh: $BINDIR/$APP exists and is not our symlink (a pip/pipx install?)." >&2
        echo "Remove it first; not overwriting it." >&2
        exit 1
    fi
    mkdir -p "$PREFIX/lib" "$BINDIR" "$APPSDIR" "$ICONDIR"

    # Copy next to the old folder, then swap, so a failed copy leaves the old install working.
    rm -rf "$LIBDIR.new"
    cp -R "$HERE/$APP" "$LIBDIR.new"
    rm -rf "$LIBDIR"
    mv "$LIBDIR.new" "$LIBDIR"
    ln -sfn "$LIBDIR/$APP" "$BINDIR/$APP"

    # Menu entries do not see the shell's PATH, so point Exec/TryExec at the absolute path.
    exe="$BINDIR/$APP"
    case "$exe" in
        *[!A-Za-z0-9_./+-]*) exec_value="\"$exe\"" ;;
        *) exec_value="$exe" ;;
    esac
    sed -e "s|^Exec=.*|Exec=$(sed_escape "$exec_value")|" \
        -e "s|^TryExec=.*|TryExec=$(sed_escape "$exe")|" \
        "$HERE/$APP.desktop" > "$APPSDIR/$APP.desktop"
    chmod 0644 "$APPSDIR/$APP.desktop"

    for icon in "$HERE"/icons/hicolor/*/apps/"$APP".png; do
        size=$(basename "$(dirname "$(dirname "$icon")")")
        mkdir -p "$ICONDIR/$size/apps"
        cp "$icon" "$ICONDIR/$size/apps/$APP.png"
    done
    refresh_caches

    echo "Installed $APP into $PREFIX."
    case ":$PATH:" in
        *":$BINDIR:"*) ;;
        *) echo "Note: $BINDIR is not on your PATH; add it to use the $APP command." ;;
    esac
    echo "Start it from the applications menu, or run: $APP"
    echo "Start at login: $APP autostart enable"
    echo "The tray icon needs a tray on your desktop: on GNOME, enable the 'AppIndicator and"
    echo "KStatusNotifierItem Support' extension; on sway or Hyprland, waybar's 'tray' module;"
    echo "elsewhere, any StatusNotifierItem or XEmbed system tray."
}

case "${1:-}" in
    --uninstall) uninstall ;;
    "") install_app ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 [--uninstall]" >&2; exit 2 ;;
esac
