#!/usr/bin/env bash
# Runs the desk as a shop would see it: a bank on loopback, an enrolled
# desk with its operators, and a customer's phone loaded with e-cash that
# the window can tap on a virtual reader. Starts what is not running
# (pcscd with a vpcd reader, a display when there is none), and stops on
# exit only what it started, by PID.
#
# DEMO_SECONDS=N stops the demo by itself after N seconds. Arguments are
# passed to the window (e.g. --lang zh-Hans).
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

# The desk's operators, their IDs and PINs. The cashier sells, the
# supervisor allows voids and sales past an offline limit, the admin
# changes settings and operators.
admin_id=admin admin_pin=2468
boss_id=boss   boss_pin=5678
cashier_id=demo cashier_pin=1234

# The PC/SC service with a vpcd reader on the usual port 35963. Only one
# pcscd can run on a machine: the tests take turns at theirs under this
# lock, and the demo takes its turn too.
exec 9>>/tmp/lingqian-pcscd.lock
if ! flock -n 9; then
  echo "demo: tests are using the PC/SC service; waiting for them to finish"
  flock 9
fi
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
  command -v import >/dev/null && command -v xdotool >/dev/null || scripts/deps.sh
  n=77
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp -noreset >"$state/xvfb.log" 2>&1 &
  pids+=($!)
  export DISPLAY=:$n
  for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.05; done
  screenshot=$PWD/demo.png
  echo "demo: no display found; the desk runs on virtual display $DISPLAY"
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

# The operators. The first one is an admin; the admin adds the others
# (the admin's PIN first, then the new operator's).
printf '%s\n' "$admin_pin" |
  "$bin/lingqian" operator add --data "$D" --id "$admin_id" --name "Desk owner" --role admin >/dev/null
printf '%s\n%s\n' "$admin_pin" "$boss_pin" |
  "$bin/lingqian" operator add --data "$D" --id "$boss_id" --name "Shift supervisor" --role supervisor --by "$admin_id" >/dev/null
printf '%s\n%s\n' "$admin_pin" "$cashier_pin" |
  "$bin/lingqian" operator add --data "$D" --id "$cashier_id" --name "Demo cashier" --role cashier --by "$admin_id" >/dev/null
echo "demo: operators $admin_id (admin), $boss_id (supervisor) and $cashier_id (cashier) added"

echo "demo: the customer taps the phone for 12.50 (offline, no PIN), headless:"
"$bin/lingqian-phone" tap --wallet "$W" --vpcd "127.0.0.1:$vpcd_port" --once >/dev/null 2>&1 &
phone=$!
"$bin/lingqian" charge --data "$D" --amount 12.50 --cashier "$cashier_id" || true
wait "$phone" 2>/dev/null || true
sleep 0.5
echo "demo: phone and desk upload; the bank clears and posts:"
"$bin/lingqian-phone" upload --wallet "$W"
"$bin/lingqian" sync --data "$D" --once || true
echo "demo: desk's X report:"; "$bin/lingqian" report --data "$D" --x
echo "demo: bank's report:"; "$bin/lingqian-bank" report --data "$B"

# The window, at sign-in. The phone is not held on the reader: the
# window's demo button presents it once each time it is pressed.
"$bin/lingqian" --data "$D" --demo-phone "$W" --demo-vpcd "127.0.0.1:$vpcd_port" "$@" &
desk=$!
pids+=($desk)

row() { printf 'demo:     %-8s %-7s %-11s %s\n' "$@"; }
echo
echo "demo: ------------------------------------------------------------------"
echo "demo: the desk is open at sign-in (pid $desk). Its operators:"
row ID PIN role ""
row "$cashier_id" "$cashier_pin" cashier "sells: sign in with this one"
row "$boss_id" "$boss_pin" supervisor "allows voids and sales past a limit"
row "$admin_id" "$admin_pin" admin "settings and operators"
cat <<TEXT
demo: to take a sale:
demo:   1. type $cashier_id, press Tab, type $cashier_pin, press Enter (sign in)
demo:   2. type 12.50 and press Enter: the desk waits for a phone
demo:   3. press "Tap the demo phone" (or F9): the phone pays 12.50, offline
demo: the desk is enrolled and forwards its sales to the bank by itself
demo: (F3: forwarding). The bank: https://$bank_addr, its data in $B;
demo: the desk's data in $D.
demo: close the window or press Ctrl-C to end.
demo: ------------------------------------------------------------------
TEXT

if [ -n "$screenshot" ]; then
  for _ in $(seq 150); do
    xdotool search --name Lingqian >/dev/null 2>&1 || ! kill -0 "$desk" 2>/dev/null && break
    sleep 0.2
  done
  sleep 2
  import -window root "$screenshot" && echo "demo: the desk's screen is in $screenshot"
fi
if [ -n "${DEMO_SECONDS:-}" ]; then
  # The timer lets go of the PC/SC lock (fd 9) and its sleep dies with it.
  ( exec 9>&-; sleep "$DEMO_SECONDS" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s; kill "$desk" 2>/dev/null ) &
  pids+=($!)
fi
wait "$desk" || true
