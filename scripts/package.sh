#!/usr/bin/env bash
# Makes the release's installers (`make package`):
#
#   scripts/package.sh [--linux-only] [--out DIR]
#
# into DIR (default dist/), named with FyneApp.toml's version:
#   lingqian-VERSION-linux-ARCH.tar.xz       the desk: what `fyne package` makes
#                                            (program, desktop entry, icon, Makefile)
#   lingqian-bank-VERSION-linux-ARCH.tar.xz  the bank: program, systemd unit, README
#   lingqian-VERSION-windows-amd64.zip       the desk for Windows, by
#                                            scripts/package-windows.sh (not with --linux-only)
#   SHA256SUMS                               the artefacts' SHA-256s, checked
#
# The programs are built as `go build` builds them (cgo on, no other tags),
# stamped with the commit. `fyne package` only wraps the desk's program: it
# is given the built program and a copy of FyneApp.toml and the icon, so the
# Build+1 it writes back after each package lands in that copy. The working
# tree is checked to be as it was before (on a clean clone: clean).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="/usr/local/go/bin:$PATH"

die() {
  echo "package: $*" >&2
  exit 1
}

out="$root/dist"
linux_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --linux-only) linux_only=true ;;
    --out) [ $# -ge 2 ] || die "--out needs a folder"; out=$2; shift ;;
    --out=*) out=${1#--out=} ;;
    *) echo "usage: $0 [--linux-only] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

for tool in go tar xz sha256sum make; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/deps.sh"
done

# The one place the version lives (docs/decisions.md).
version=$(sed -En '/^\[Details\]/,/^\[/ s/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p' FyneApp.toml)
build=$(sed -En '/^\[Details\]/,/^\[/ s/^[[:space:]]*Build[[:space:]]*=[[:space:]]*([0-9]+).*/\1/p' FyneApp.toml)
[ -n "$version" ] && [ -n "$build" ] || die "FyneApp.toml has no [Details] Version and Build"
arch=$(go env GOARCH)

in_git=false
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then in_git=true; fi
tree_before=""
commit=unknown
if $in_git; then
  tree_before=$(git status --porcelain)
  commit=$(git rev-parse --short=12 HEAD)
  if [ -n "$tree_before" ]; then
    commit="$commit-dirty"
    echo "package: the working tree has changes not committed: the programs say $commit" >&2
  fi
fi
# Archive entries get the commit's time, so the same commit packs the same.
epoch=${SOURCE_DATE_EPOCH:-$($in_git && git log -1 --format=%ct || date +%s)}

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lingqian-package.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "package: building lingqian $version (build $build, $commit) for linux/$arch"
ldflags="-X lingqian/internal/version.commit=$commit"
CGO_ENABLED=1 go build -ldflags "$ldflags" -o "$work/bin/lingqian" . || die "go build . failed"
CGO_ENABLED=1 go build -ldflags "$ldflags" -o "$work/bin/lingqian-bank" ./cmd/lingqian-bank ||
  die "go build ./cmd/lingqian-bank failed"
# internal/version is generated from FyneApp.toml: a stale one shows here.
for p in lingqian lingqian-bank; do
  said=$("$work/bin/$p" --version) || die "$p --version failed"
  [ "$said" = "$p $version (build $build, $commit)" ] ||
    die "$p --version says \"$said\", FyneApp.toml $version build $build: run go generate ./internal/version"
done

# --- the desk: fyne package wraps the built program ---------------------------
# Its source folder is a copy holding only what it reads: FyneApp.toml, the
# icon it names, go.mod and a Go file (it looks for one).
meta="$work/app"
icon=$(sed -En '/^\[Details\]/,/^\[/ s/^[[:space:]]*Icon[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' FyneApp.toml)
[ -f "$icon" ] || die "FyneApp.toml names the icon $icon, which is not there"
mkdir -p "$meta/$(dirname "$icon")" "$work/fyne-out"
cp FyneApp.toml go.mod main.go "$meta/"
cp "$icon" "$meta/$icon"
fyne=$(env -u GOOS -u GOARCH -u CC -u CXX go tool -n fyne) || die "go tool fyne cannot be built (go.mod's tool directive)"
# --name: the desktop entry's name and StartupWMClass. X11 gives the window
# the class of its title (ui/desk.go), and a desktop groups the window
# under the entry whose StartupWMClass is that class: the two must match
# (systest/package_test.go checks it on a real window).
(cd "$work/fyne-out" && "$fyne" package --os linux --release --name "Lingqian 零钱" \
  --src "$meta" --exe "$work/bin/lingqian") ||
  die "fyne package --os linux failed"
made=("$work"/fyne-out/*.tar.xz)
[ ${#made[@]} -eq 1 ] && [ -f "${made[0]}" ] || die "fyne package made ${#made[@]} archives: ${made[*]}"
# Its Makefile names the icon without its extension (fyne-io/tools#139), so
# `make install` stops at the icon: name the file as the archive holds it.
# The desktop entry's Icon= stays a bare name, as the specification wants.
unpacked="$work/desk"
mkdir -p "$unpacked"
tar -C "$unpacked" -xJf "${made[0]}"
sed -i -E '/^Icon := ".*\.png"$/! s/^Icon := "(.*)"$/Icon := "\1.png"/' "$unpacked/lingqian/Makefile"
for f in Makefile usr/local/bin/lingqian usr/local/share/applications/cn.lingqian.desk.desktop \
  usr/local/share/pixmaps/cn.lingqian.desk.png; do
  [ -f "$unpacked/lingqian/$f" ] || die "fyne package's archive lacks lingqian/$f"
done
# The installer is tried before the archive is made.
make -s -C "$unpacked/lingqian" install DESTDIR="$work/trial" PREFIX=/usr/local >/dev/null ||
  die "the desk's Makefile does not install"
cmp -s "$work/trial/usr/local/bin/lingqian" "$work/bin/lingqian" || die "the desk's Makefile installs another program"
desk="$out/lingqian-$version-linux-$arch.tar.xz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -C "$unpacked" -cJf "$desk" lingqian

# --- the bank: its program, systemd unit, user and README ----------------------
stage="$work/bank/lingqian-bank-$version"
mkdir -p "$stage"
cp "$work/bin/lingqian-bank" packaging/bank/lingqian-bank.service packaging/bank/lingqian-bank.sysusers \
  packaging/bank/Makefile "$stage/"
sed "s|@VERSION@|$version|g" packaging/bank/README-bank.txt >"$stage/README-bank.txt"
chmod 0755 "$stage/lingqian-bank"
chmod 0644 "$stage"/lingqian-bank.service "$stage"/lingqian-bank.sysusers "$stage"/Makefile "$stage"/README-bank.txt
bank="$out/lingqian-bank-$version-linux-$arch.tar.xz"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
  -C "$work/bank" -cJf "$bank" "lingqian-bank-$version"

artefacts=("$desk" "$bank")

# --- Windows, where its script is there -----------------------------------------
if ! $linux_only && [ -x scripts/package-windows.sh ]; then
  scripts/package-windows.sh "$version" "$out" || die "scripts/package-windows.sh failed"
  win="$out/lingqian-$version-windows-amd64.zip"
  [ -f "$win" ] || die "scripts/package-windows.sh did not write $win"
  artefacts+=("$win")
fi

# --- checksums ------------------------------------------------------------------
names=()
for a in "${artefacts[@]}"; do names+=("$(basename "$a")"); done
(cd "$out" && sha256sum "${names[@]}" >SHA256SUMS && sha256sum --quiet -c SHA256SUMS) ||
  die "the checksums in $out/SHA256SUMS do not check"

if $in_git; then
  tree_after=$(git status --porcelain)
  if [ "$tree_after" != "$tree_before" ]; then
    die "packaging changed the working tree:
$(diff <(echo "$tree_before") <(echo "$tree_after") || true)"
  fi
fi

for n in "${names[@]}" SHA256SUMS; do echo "package: $out/$n"; done
