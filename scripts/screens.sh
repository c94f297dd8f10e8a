#!/usr/bin/env bash
# Pictures of the desk's window, for people to look at: sign-in and
# checkout (with 12.50 typed), in English and in Chinese.
#
#   scripts/screens.sh OUT_DIR   # writes signin-en.png, checkout-en.png,
#                                # signin-zh-Hans.png, checkout-zh-Hans.png
#
# Builds the real window, opens it on a private virtual display (Xvfb) on
# a fresh desk with two operators, and types into it with xdotool. Starts
# pcscd with a virtual reader when none runs, so the window shows a reader.
# Stops on exit only what it started, by PID.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: scripts/screens.sh OUT_DIR" >&2
  exit 2
fi
mkdir -p "$1"
out=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
export PATH=/usr/local/go/bin:$PATH

for tool in Xvfb xdotool import sqlite3 pcscd; do
  command -v "$tool" >/dev/null || { scripts/deps.sh; break; }
done

state=$(mktemp -d -t lingqian-screens.XXXXXX)
pids=()
cleanup() {
  for ((i=${#pids[@]}-1; i>=0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "screens: building the window (the first build of its OpenGL driver takes minutes)"
go build -o "$state/lingqian" .
desk=$state/lingqian

# A virtual display on a free number.
n=120
while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp -noreset >"$state/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=:$n
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.05; done
[ -e "/tmp/.X11-unix/X$n" ] || { echo "screens: Xvfb did not start:" >&2; cat "$state/xvfb.log" >&2; exit 1; }

# The PC/SC service with a virtual reader, unless one runs. The tests'
# private pcscd takes turns through the same lock.
exec 9>>/tmp/lingqian-pcscd.lock
if flock -w 120 9 && ! { [ -f /run/pcscd/pcscd.pid ] && kill -0 "$(cat /run/pcscd/pcscd.pid)" 2>/dev/null; }; then
  mkdir -p "$state/reader.conf.d"
  cat > "$state/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x8C7B
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x8C7B
CONF
  pcscd --foreground --config "$state/reader.conf.d" >"$state/pcscd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
fi

# A fresh desk: an admin, and the cashier who signs in.
D=$state/desk
printf '2468\n' | "$desk" operator add --data "$D" --id admin --name "Wang Wei" --role admin >/dev/null
printf '2468\n1234\n' | "$desk" operator add --data "$D" --id demo --name "Li Na" --role cashier --by admin >/dev/null

logins() { sqlite3 "file:$D/desk.db?mode=ro" "SELECT count(*) FROM audit WHERE action='login' AND operator='demo'" 2>/dev/null || echo 0; }

shoot() {
  local lang=$1 locale=$2 win id="" before
  HOME=$state/home LANG=$locale "$desk" --data "$D" --lang "$lang" >"$state/window-$lang.log" 2>&1 9>&- &
  win=$!
  pids+=($win)
  for _ in $(seq 300); do
    id=$(xdotool search --onlyvisible --name Lingqian 2>/dev/null | head -n1) && [ -n "$id" ] && break
    kill -0 "$win" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$id" ]; then
    echo "screens: the window ($lang) did not show; its output:" >&2
    cat "$state/window-$lang.log" >&2
    exit 1
  fi
  xdotool windowfocus --sync "$id"
  sleep 1
  import -window "$id" "$out/signin-$lang.png"

  before=$(logins)
  xdotool type --delay 40 demo
  xdotool key Tab
  xdotool type --delay 40 1234
  xdotool key Return
  for _ in $(seq 100); do [ "$(logins)" -gt "$before" ] && break; sleep 0.2; done
  [ "$(logins)" -gt "$before" ] || echo "screens: the cashier's sign-in ($lang) was not recorded; the picture shows why" >&2
  sleep 0.7
  xdotool type --delay 40 12.50
  sleep 0.5
  import -window "$id" "$out/checkout-$lang.png"

  kill "$win" 2>/dev/null || true
  wait "$win" 2>/dev/null || true
  unset 'pids[-1]'
  echo "screens: $out/signin-$lang.png $out/checkout-$lang.png"
}

shoot en en_US.UTF-8
shoot zh-Hans zh_CN.UTF-8
