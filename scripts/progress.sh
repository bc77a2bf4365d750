# shellcheck shell=bash
# Progress output for long setup steps (sourced by scripts/setup.sh and toolchain/build.sh).
#
# Each step prints one line when it starts and one when it ends (on a terminal: one line updated
# in place with the elapsed time); everything the step itself prints goes to a log file. When a
# step fails, the end of its output and the log's path are printed and the caller exits non-zero.
#
#   progress_log_to <file>                    where step output goes (appended)
#   progress_step <prefix> <label> <verb> <typical seconds or -> <command...>
#
# Environment (for tests and CI): FLUXOPS_PROGRESS=tty|plain forces the mode (default: tty when
# stderr is a terminal); FLUXOPS_PROGRESS_HEARTBEAT_SECONDS (default 300) is how often plain mode
# reports that a long step is still running; FLUXOPS_PROGRESS_TAIL_LINES (default 40).

PROGRESS_LOG=""
_progress_ticker=""
_progress_stop_file=""

progress_log_to() {
  PROGRESS_LOG="$1"
  mkdir -p "$(dirname "$PROGRESS_LOG")"
  : >>"$PROGRESS_LOG"
}

# "~5 min", "~20 s", "a few seconds".
progress_typical() {
  local s="$1"
  if [ "$s" -lt 10 ]; then echo "a few seconds"
  elif [ "$s" -lt 45 ]; then echo "~$(( (s + 4) / 5 * 5 )) s"
  else echo "~$(( (s + 30) / 60 )) min"
  fi
}

progress_is_tty() {
  case "${FLUXOPS_PROGRESS:-}" in
    tty) return 0 ;;
    plain) return 1 ;;
    *) [ -t 2 ] ;;
  esac
}

_progress_stop_ticker() {
  if [ -n "$_progress_ticker" ]; then
    # Asked to stop, not killed: a ticker signalled right after its fork can make bash print
    # "wait_for: No record of process" on the terminal. It notices within 0.2 s.
    : >"$_progress_stop_file"
    wait "$_progress_ticker" 2>/dev/null || true
    rm -f "$_progress_stop_file"
    _progress_ticker=""
  fi
}

# Background loop: on a terminal, redraws the step's line every second; otherwise prints a line
# every heartbeat interval so that CI logs show the build is alive. Ends when the stop file exists.
_progress_tick() {
  local lead="$1" verb="$2" tail="$3" start="$4" tty="$5" cols="$6" stop="$7"
  local beat="${FLUXOPS_PROGRESS_HEARTBEAT_SECONDS:-300}" next now line shown=0
  trap - INT TERM EXIT
  next=$((start + beat))
  while [ ! -e "$stop" ]; do
    sleep 0.2
    printf -v now '%(%s)T' -1
    if [ "$tty" = 1 ] && [ "$now" != "$shown" ] && [ ! -e "$stop" ]; then
      shown="$now"
      printf -v line '%s %s... %d:%02d%s' "$lead" "$verb" $(((now - start) / 60)) $(((now - start) % 60)) "$tail"
      printf '\r\033[K%s' "${line:0:$((cols - 1))}" >&2
    elif [ "$tty" = 0 ] && [ "$now" -ge "$next" ]; then
      printf '%s still %s, %d:%02d so far%s\n' "$lead" "$verb" $(((now - start) / 60)) $(((now - start) % 60)) "$tail" >&2
      next=$((now + beat))
    fi
  done
}

# progress_step <prefix> <label> <verb> <typical seconds or -> <command...>
# Runs the command (a function is fine) in a subshell with `set -e`, its output appended to the
# log. Returns the command's exit status after printing what went wrong.
progress_step() {
  local prefix="$1" label="$2" verb="$3" typical="$4"; shift 4
  local tail="" tty=0 start rc offset cols=100
  [ "$typical" != - ] && tail=" (typically $(progress_typical "$typical"))"
  if progress_is_tty; then tty=1; cols="$(tput cols 2>/dev/null || echo 100)"; fi
  printf -v start '%(%s)T' -1
  printf '\n=== %s %s: %s (%s)\n' "$prefix" "$label" "$verb" "$(date -Is)" >>"$PROGRESS_LOG"
  offset="$(stat -c %s "$PROGRESS_LOG")"
  if [ "$tty" = 1 ]; then printf '%s %s: %s... 0:00%s' "$prefix" "$label" "$verb" "$tail" >&2
  else printf '%s %s: %s...%s\n' "$prefix" "$label" "$verb" "$tail" >&2
  fi
  _progress_stop_file="$(mktemp -u "${TMPDIR:-/tmp}/fluxops-progress.XXXXXX")"
  _progress_tick "$prefix $label:" "$verb" "$tail" "$start" "$tty" "$cols" "$_progress_stop_file" &
  _progress_ticker=$!
  set +e
  ( set -e; "$@" ) >>"$PROGRESS_LOG" 2>&1 </dev/null
  rc=$?
  set -e
  _progress_stop_ticker
  local now took
  printf -v now '%(%s)T' -1
  took=$((now - start))
  [ "$tty" = 1 ] && printf '\r\033[K' >&2
  if [ "$rc" -eq 0 ]; then
    printf '%s %s: done in %d s\n' "$prefix" "$label" "$took" >&2
    return 0
  fi
  local lines="${FLUXOPS_PROGRESS_TAIL_LINES:-40}"
  printf '%s %s: FAILED after %d s (exit %d); the end of its output:\n' "$prefix" "$label" "$took" "$rc" >&2
  if [ "$(stat -c %s "$PROGRESS_LOG")" -gt "$offset" ]; then
    tail -c +"$((offset + 1))" "$PROGRESS_LOG" | tail -n "$lines" | sed 's/^/    /' >&2
  else
    printf '    (it printed nothing)\n' >&2
  fi
  printf '%s full log: %s\n' "$prefix" "$PROGRESS_LOG" >&2
  return "$rc"
}

# A script interrupted mid-step must not leave its ticker drawing on the terminal. A ticker killed
# right after it was forked may still run these traps before its own replace them: only the
# shell that sourced this file acts on them.
_progress_owner="$BASHPID"
trap '[ "$BASHPID" = "$_progress_owner" ] && _progress_stop_ticker' EXIT
trap '[ "$BASHPID" = "$_progress_owner" ] && _progress_stop_ticker; exit 130' INT
trap '[ "$BASHPID" = "$_progress_owner" ] && _progress_stop_ticker; exit 143' TERM
