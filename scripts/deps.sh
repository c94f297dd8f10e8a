#!/usr/bin/env bash
# Installs what building, testing and running the desk needs on Debian 12,
# and only what is missing. Extra package names may be given as arguments.
set -euo pipefail

packages=(
  gcc pkg-config                                   # cgo: PC/SC, SQLite, the window
  libgl1-mesa-dev xorg-dev libxkbcommon-dev        # Fyne's OpenGL window
  pcscd libpcsclite-dev                            # the PC/SC service and its client library
  vsmartcard-vpcd                                  # virtual reader driver: the phone's way in
  xvfb fonts-noto-cjk                              # a display for tests and demos; Chinese text
  xdotool imagemagick                              # the window tests' keyboard and screenshots
  sqlite3 ca-certificates
  fonts-droid-fallback                             # a TrueType font with Chinese for the PDF reports
  poppler-utils                                    # pdftotext and pdftoppm: the report tests read PDFs back
  make xz-utils                                    # the Linux packages: fyne package's tar.xz and its Makefile installer
  desktop-file-utils systemd                       # the package test checks the menu entry and the bank's unit
  gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64   # the Windows build: cgo cross-compiler, windres and objdump
  zip unzip file                                   # the Windows archive and the check of its .exe
  postgresql                                       # the bank on PostgreSQL: tests run a private cluster (internal/pgtest)
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Go 1.26 or newer, as go.mod says. Debian 12's own golang package is too old.
gobin=$(command -v go || true)
if [ -z "$gobin" ] && [ -x /usr/local/go/bin/go ]; then gobin=/usr/local/go/bin/go; fi
if [ -z "$gobin" ]; then
  echo "deps: Go 1.26 or newer is needed: install it in /usr/local/go (https://go.dev/doc/install)" >&2
  exit 1
fi
ver=$("$gobin" env GOVERSION | sed 's/^go//')
major=${ver%%.*}; rest=${ver#*.}; minor=${rest%%.*}
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 26 ]; }; then
  echo "deps: Go $ver found at $gobin; Go 1.26 or newer is needed" >&2
  exit 1
fi
