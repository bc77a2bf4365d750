#!/usr/bin/env bash
# Runs a server and stops it when its owner process goes away, even if the owner was killed
# with SIGKILL (a crashed or interrupted test run): no server outlives the run that started it.
# usage: watchdog.sh <owner-pid|0> <command> [args...]   (0 = no owner: stopped only by a signal)
owner="$1"; shift
"$@" &
child=$!
stop() {
  kill -TERM "$child" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$child" 2>/dev/null
  wait "$child" 2>/dev/null
}
trap 'stop; exit 143' TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  if [ "$owner" != 0 ] && ! kill -0 "$owner" 2>/dev/null; then stop; exit 0; fi
  sleep 0.5 & wait $!
done
wait "$child"
