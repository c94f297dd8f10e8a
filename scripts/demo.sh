#!/usr/bin/env bash
# Runs the desk as a shop would see it, with the virtual phone on a virtual
# reader. Starts what is not running (pcscd with a vpcd reader, a display
# when there is none), and stops on exit only what it started, by PID.
#
# DEMO_SECONDS=N stops the demo by itself after N seconds.
# vpcd accepts a "card" from any host that reaches its port: this is for a
# test or demo machine, never a shop PC.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/bin
# Fyne reads the language from the locale; the bare C locale names none.
case "${LANG:-C}" in C|C.*|POSIX) export LANG=en_US.UTF-8 ;; esac
state=$(mktemp -d -t lingqian-demo.XXXXXX)
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

# The PC/SC service with a vpcd reader on the usual port 35963.
vpcd_port=35963
if [ -f /run/pcscd/pcscd.pid ] && kill -0 "$(cat /run/pcscd/pcscd.pid)" 2>/dev/null; then
  echo "demo: using the pcscd already running (pid $(cat /run/pcscd/pcscd.pid))"
else
  mkdir -p "$state/reader.conf.d"
  cat > "$state/reader.conf.d/vpcd" <<CONF
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:$(printf '0x%X' $vpcd_port)
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    $(printf '0x%X' $vpcd_port)
CONF
  pcscd --foreground --config "$state/reader.conf.d" >"$state/pcscd.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
  echo "demo: started pcscd (pid ${pids[-1]}) with a virtual reader on port $vpcd_port"
fi

# A display: the user's own, or a virtual one whose screen is saved as a picture.
screenshot=""
if [ -z "${DISPLAY:-}" ]; then
  scripts/deps.sh imagemagick
  display=:77
  Xvfb "$display" -screen 0 1024x640x24 -nolisten tcp >"$state/xvfb.log" 2>&1 &
  pids+=($!)
  export DISPLAY=$display
  for _ in $(seq 100); do [ -e /tmp/.X11-unix/X77 ] && break; sleep 0.05; done
  screenshot=$PWD/demo.png
  echo "demo: no display found; the desk runs on virtual display $display"
fi

# The bank, a customer, an enrolled desk and the customer's phone, on loopback.
bank_addr=127.0.0.1:18443
B=$state/bank D=$state/desk W=$state/wallet.json
"$bin/lingqian-bank" serve --data "$B" --addr "$bank_addr" >"$state/bank.log" 2>&1 &
pids+=($!)
for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/${bank_addr##*:}") 2>/dev/null && break; sleep 0.05; done
echo "demo: bank serving on https://$bank_addr (pid ${pids[-1]})"
"$bin/lingqian-bank" customer add --data "$B" --user alice --password s3cret --deposit 100000 >/dev/null
code=$("$bin/lingqian-bank" terminal-code --data "$B" --merchant M001)
"$bin/lingqian" enroll --data "$D" --bank "https://$bank_addr" --ca "$B/ca.pem" --code "$code"
"$bin/lingqian-phone" apply --wallet "$W" --bank "https://$bank_addr" --ca "$B/ca.pem" --user alice --password s3cret --load 50000

echo "demo: the customer taps the phone for 12.50 (offline, no PIN):"
"$bin/lingqian-phone" tap --wallet "$W" --vpcd "127.0.0.1:$vpcd_port" --once >/dev/null 2>&1 &
"$bin/lingqian" charge --data "$D" --amount 12.50 || true
wait $! 2>/dev/null || true
sleep 0.5
echo "demo: phone and desk upload; the bank clears and posts:"
"$bin/lingqian-phone" upload --wallet "$W"
"$bin/lingqian" sync --data "$D" --once || true
echo "demo: desk's X report:"; "$bin/lingqian" report --data "$D" --x
echo "demo: bank's report:"; "$bin/lingqian-bank" report --data "$B"

# The customer's phone, held on the reader, for the window.
"$bin/lingqian-phone" tap --wallet "$W" --vpcd "127.0.0.1:$vpcd_port" >"$state/phone.log" 2>&1 &
pids+=($!)
echo "demo: phone on the reader (pid ${pids[-1]})"

"$bin/lingqian" &
desk=$!
pids+=($desk)
echo "demo: desk open (pid $desk); close its window or press Ctrl-C to end"

if [ -n "$screenshot" ]; then
  sleep 4
  import -window root "$screenshot" && echo "demo: the desk's screen is in $screenshot"
fi
if [ -n "${DEMO_SECONDS:-}" ]; then
  ( sleep "$DEMO_SECONDS"; kill "$desk" 2>/dev/null ) &
  pids+=($!)
fi
wait "$desk" || true
