#!/usr/bin/env bash
# Checks a cross-built lingqian.exe as a shop PC would need it: a 64-bit
# Windows GUI program (no console window behind the desk's window), with the
# icon Explorer and the task bar show and the version resource the file's
# Properties show, and with the smart card calls going to winscard.dll.
#
#   scripts/check-windows-exe.sh EXE [VERSION]
#
# VERSION, when given, must be among the version resource's strings, alone or
# with a build number after it (fyne package writes 0.1.0.7 for 0.1.0 build 7).
# Exits 1 naming every check that failed. Needs file and
# x86_64-w64-mingw32-objdump (scripts/deps.sh installs both).
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 EXE [VERSION]" >&2
  exit 2
fi
exe=$1
want_version=${2:-}
objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
strings=${STRINGS:-x86_64-w64-mingw32-strings}

if [ ! -f "$exe" ]; then
  echo "check-windows-exe: $exe: no such file" >&2
  exit 1
fi
for tool in file "$objdump" "$strings"; do
  if ! command -v "$tool" >/dev/null; then
    echo "check-windows-exe: $tool is missing: run scripts/deps.sh" >&2
    exit 1
  fi
done

failed=0
fail() {
  echo "check-windows-exe: $exe: $*" >&2
  failed=1
}
ok() {
  echo "check-windows-exe: ok: $*"
}

kind=$(file -b "$exe")
if [[ $kind == "PE32+ executable (GUI) x86-64"* ]]; then
  ok "$kind"
else
  fail "file says \"$kind\", not a PE32+ executable (GUI) x86-64"
fi

headers=$("$objdump" -p "$exe") || { fail "$objdump -p cannot read it"; headers=""; }

if grep -Eq '^Subsystem[[:space:]]+00000002[[:space:]]+\(Windows GUI\)' <<<"$headers"; then
  ok "subsystem Windows GUI"
else
  fail "the PE subsystem is not Windows GUI (2): built without -ldflags -H=windowsgui?"
fi

# objdump -p prints the .rsrc tree; the type table's entries are the lines
# indented by three spaces after the offset. Types by number: 3 RT_ICON,
# 14 RT_GROUP_ICON, 16 RT_VERSION.
types=$(sed -n '/^The .rsrc Resource Directory section:/,/^ Resources start at offset/p' <<<"$headers" |
  sed -En 's/^[0-9a-f]+   Entry: ID: 0x0*([0-9a-f]+),.*/\1/p')
has_type() { grep -qx "$1" <<<"$types"; }
if has_type 3 && has_type e; then
  ok "icon resource (RT_ICON and RT_GROUP_ICON)"
else
  fail "no icon resource (RT_ICON 3 and RT_GROUP_ICON 14) in .rsrc; types found: ${types//$'\n'/ }"
fi
if has_type 10; then
  ok "version resource (RT_VERSION)"
else
  fail "no version resource (RT_VERSION 16) in .rsrc; types found: ${types//$'\n'/ }"
fi

# The version resource's strings are UTF-16; VS_VERSION_INFO opens it.
wide=$("$strings" -a -el "$exe")
if ! grep -qx 'VS_VERSION_INFO' <<<"$wide"; then
  fail "no VS_VERSION_INFO block among its UTF-16 strings"
elif [ -n "$want_version" ]; then
  if grep -Eqx "${want_version//./\\.}(\.[0-9]+)?" <<<"$wide"; then
    ok "version $want_version in the version resource"
  else
    fail "version $want_version is not among the version resource's strings"
  fi
fi

# Every DLL it imports must come with Windows: a MinGW runtime DLL
# (libssp-0.dll, libwinpthread-1.dll, libgcc_s_seh-1.dll) would be missing on
# a shop PC, and the program would not start.
dlls=$(sed -En 's/^[[:space:]]*DLL Name: (.*)$/\1/p' <<<"$headers" | sort -fu)
if [ -z "$dlls" ]; then
  fail "$objdump -p lists no imported DLL"
elif foreign=$(grep -i '^lib' <<<"$dlls"); then
  fail "it needs DLLs Windows does not have: ${foreign//$'\n'/ }"
else
  ok "imports only Windows' own DLLs: ${dlls//$'\n'/ }"
fi

# scard loads winscard.dll by name at run time, so it is no import to list.
if grep -aqF 'winscard.dll' "$exe"; then
  ok "smart card calls through winscard.dll"
else
  fail "winscard.dll is not named in it: the PC/SC code is missing"
fi

exit "$failed"
