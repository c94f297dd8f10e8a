#!/usr/bin/env bash
# Makes the Windows package of the desk:
#
#   scripts/package-windows.sh VERSION OUTDIR
#
# writes OUTDIR/lingqian-VERSION-windows-amd64.zip holding lingqian.exe, the
# font for Chinese PDF reports with its licence, and README-Windows.txt in
# English and in Chinese (.zh-Hans.txt).
#
# lingqian.exe is cross-built with Debian's MinGW-w64 (cgo: SQLite and the
# window's OpenGL; the smart card calls go to winscard.dll) by
# `go tool fyne package --os windows`, which builds it as a GUI program and
# links the icon and the version of FyneApp.toml into it. fyne package
# writes into the folder it builds (a .syso and a Go file while it builds;
# Build+1 in FyneApp.toml after), so it builds a copy of the source: the
# working tree stays as it was and a build running beside it never links
# Windows resources. The package is checked before this script says it is
# made (scripts/check-windows-exe.sh). It installs nothing: scripts/deps.sh
# does.
set -euo pipefail

if [ $# -ne 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
  echo "usage: $0 VERSION OUTDIR" >&2
  exit 2
fi
version=$1
outdir=$2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export PATH="/usr/local/go/bin:$PATH"
cc=x86_64-w64-mingw32-gcc
font=/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf
font_copyright=/usr/share/doc/fonts-droid-fallback/copyright
apache=/usr/share/common-licenses/Apache-2.0

die() {
  echo "package-windows: $*" >&2
  exit 1
}
for tool in go "$cc" zip unzip file x86_64-w64-mingw32-objdump; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/deps.sh"
done
for f in "$font" "$font_copyright" "$apache"; do
  [ -f "$f" ] || die "$f is missing: run scripts/deps.sh (fonts-droid-fallback)"
done
[ -f FyneApp.toml ] || die "no FyneApp.toml in $root"
grep -q '^tool fyne.io/tools/cmd/fyne' go.mod || die "go.mod has no tool directive for fyne.io/tools/cmd/fyne"
# The version the resource holds: FyneApp.toml's, as fyne package reads it.
app_version=$(sed -En '/^\[Details\]/,/^\[/ s/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' FyneApp.toml)
[ -n "$app_version" ] || die "FyneApp.toml has no [Details] Version"

# The commit --version prints, stamped as scripts/package.sh stamps the Linux
# programs; and the time every file in the zip gets, so one commit packs
# the same files.
commit=unknown
epoch=${SOURCE_DATE_EPOCH:-$(date +%s)}
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  commit=$(git rev-parse --short=12 HEAD)
  [ -z "$(git status --porcelain)" ] || commit="$commit-dirty"
  epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
fi

mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
zipfile="$outdir/lingqian-$version-windows-amd64.zip"

work=$(mktemp -d "${TMPDIR:-/tmp}/lingqian-windows.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The source as it is in the working tree, tracked or new, without what git
# ignores (bin/, dist/); outside a git checkout, the whole folder.
src="$work/src"
mkdir -p "$src"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$root" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar -C "$root" --null -T - -cf - | tar -C "$src" -xf -
else
  tar -C "$root" --exclude=./.git --exclude=./bin --exclude=./dist -cf - . | tar -C "$src" -xf -
fi

# What fyne package leaves behind when stopped short is not the source.
find "$src" -maxdepth 1 \( -iname '*.exe' -o -name 'fyne.syso' -o -name 'fyne_metadata_init.go' \) -delete

# The commit goes in as a Go file of the copy rather than as the -X that
# scripts/package.sh gives the linker: fyne package takes -ldflags from
# GOFLAGS for its first build only (it unsets them), and its second build,
# the one with the icon, is the one it keeps.
[ -d "$src/internal/version" ] || die "no internal/version in the source"
printf '// The commit this package was built from, by scripts/package-windows.sh.\n\npackage version\n\nfunc init() { commit = "%s" }\n' \
  "$commit" >"$src/internal/version/stamp_windows.go"

echo "package-windows: building lingqian.exe for windows/amd64 (on a cold build cache: about 8 minutes with 2 cores)"
# --release: no debug symbols, -trimpath (so the build cache serves the copy
# in its new folder as it served the last), and Fyne's release mode.
# The fyne command is built for this machine first: `go tool fyne` run with
# the cross-build's GOOS or CC would build it for Windows or with MinGW.
fyne=$(cd "$src" && env -u GOOS -u GOARCH -u CC -u CXX -u CGO_ENABLED go tool -n fyne) ||
  die "go tool fyne cannot be built"
# fyne package compiles C with -fstack-protector-strong -D_FORTIFY_SOURCE=3,
# whose checks MinGW-w64 keeps in libssp: linked in whole, so the program
# needs no libssp-0.dll beside it.
(
  cd "$src"
  GOARCH=amd64 CGO_ENABLED=1 CC="$cc" CXX=x86_64-w64-mingw32-g++ \
    CGO_LDFLAGS="${CGO_LDFLAGS:+$CGO_LDFLAGS }-l:libssp.a" \
    "$fyne" package --os windows --release
) || die "fyne package --os windows failed"

# It names the program after FyneApp.toml's Name (Lingqian.exe); the
# package keeps the command's name, as the README and the Linux package do.
mapfile -t built < <(find "$src" -maxdepth 1 -iname '*.exe')
[ ${#built[@]} -eq 1 ] || die "fyne package made ${#built[@]} .exe files in $src, not one: ${built[*]}"

# Text as Notepad reads it right on any Windows: CRLF, and UTF-8 marked by
# its BOM (without one, a Chinese Windows may take the file for GBK).
windows_text() {
  printf '\xef\xbb\xbf'
  sed 's/$/\r/'
}

stage="$work/stage"
mkdir -p "$stage/fonts"
cp "${built[0]}" "$stage/lingqian.exe"
cp "$font" "$stage/fonts/"
{
  cat "$font_copyright"
  printf '\n\nThe Apache License, Version 2.0:\n\n'
  cat "$apache"
} | windows_text >"$stage/fonts/LICENSE-DroidSansFallback.txt"
for readme in README-Windows.txt README-Windows.zh-Hans.txt; do
  sed "s|@VERSION@|$version|" "packaging/windows/$readme" | windows_text >"$stage/$readme"
done

find "$stage" -exec touch -h -d "@$epoch" {} +
rm -f "$zipfile"
(cd "$stage" && zip -q -X -r "$zipfile" lingqian.exe fonts README-Windows.txt README-Windows.zh-Hans.txt)

# The package as a shop PC gets it: unpacked afresh, every file there and the
# program checked.
check="$work/check"
mkdir -p "$check"
unzip -q "$zipfile" -d "$check" || die "$zipfile cannot be unpacked"
for f in lingqian.exe fonts/DroidSansFallbackFull.ttf fonts/LICENSE-DroidSansFallback.txt \
  README-Windows.txt README-Windows.zh-Hans.txt; do
  [ -s "$check/$f" ] || die "$zipfile lacks $f"
done
cmp -s "$font" "$check/fonts/DroidSansFallbackFull.ttf" || die "the font in $zipfile differs from $font"
"$root/scripts/check-windows-exe.sh" "$check/lingqian.exe" "$app_version" ||
  die "$zipfile: lingqian.exe failed its checks"
# It cannot be run here to ask its --version: the commit stamped is looked for.
grep -aqF "$commit" "$check/lingqian.exe" || die "$zipfile: lingqian.exe does not hold the commit $commit"

echo "package-windows: $zipfile"
