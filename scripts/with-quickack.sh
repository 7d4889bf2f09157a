#!/bin/sh
# Runs a command in a private network namespace whose loopback routes have `quickack 1`, which
# removes rivetkit 2.3.19's ~40 ms stall per action (Nagle on the runner's socket meeting the
# engine's delayed ACK; see docs/latency.md). Nothing on the host changes. Processes inside reach
# each other over the namespace's own loopback; `--publish PORT[,PORT...]` also makes those ports
# reachable on the host's 127.0.0.1 (through a relay), for clients that run outside.
#
# Usage: scripts/with-quickack.sh [--publish PORT[,PORT...]] <command> [args...]
#        scripts/with-quickack.sh --check    (prints the namespace's routes; exit 0 if usable)
# Needs unshare (util-linux), ip (iproute2), and unprivileged user namespaces or root;
# --publish also needs node.
set -eu

fail() {
  echo "with-quickack: $*" >&2
  exit 1
}

publish=""
if [ "${1:-}" = --publish ]; then
  [ "$#" -ge 3 ] || fail "usage: with-quickack.sh --publish PORT[,PORT...] <command> [args...]"
  publish=$(printf '%s' "$2" | tr ',' ' ')
  shift 2
  for port in $publish; do
    case $port in '' | *[!0-9]*) fail "not a port: $port" ;; esac
  done
fi
[ "$#" -gt 0 ] || fail "usage: with-quickack.sh [--publish PORT[,PORT...]] <command> [args...] | --check"
for tool in unshare ip; do
  command -v "$tool" >/dev/null 2>&1 || fail "'$tool' not found (install util-linux and iproute2)"
done

# A user namespace maps us to root inside it, with CAP_NET_ADMIN over the new network namespace
# only. Where user namespaces are disabled, root can still create a network namespace.
if unshare --user --map-root-user --net true 2>/dev/null; then
  flags="--user --map-root-user --net"
elif [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
  flags="--net"
else
  why=$(unshare --user --map-root-user --net true 2>&1 || true)
  fail "cannot create a network namespace (${why:-unknown error}): enable unprivileged user namespaces or run as root"
fi

# Runs inside the namespace: loopback up with quickack, relays for published ports, then the command.
inner='
  ip link set lo up
  ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
  ip route change local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
  # The IPv6 loopback too where there is one ("localhost" may resolve to ::1); best effort.
  if ip -6 route del local ::1 dev lo table local 2>/dev/null; then
    ip -6 route add local ::1 dev lo table local proto kernel quickack 1 2>/dev/null || true
  fi
  if [ "$1" = --check ]; then
    ip route show table local
    ip -6 route show table local 2>/dev/null || true
    exit 0
  fi
  for port in $WITH_QUICKACK_PUBLISH; do
    node "$WITH_QUICKACK_RELAY" unix-to-tcp "$WITH_QUICKACK_DIR/$port.sock" "$port" &
    echo $! >>"$WITH_QUICKACK_DIR/pids"
  done
  exec "$@"
'

if [ -z "$publish" ]; then
  # shellcheck disable=SC2086 # $flags is a list of options
  WITH_QUICKACK_PUBLISH="" exec unshare $flags sh -ec "$inner" with-quickack "$@"
fi

command -v node >/dev/null 2>&1 || fail "--publish needs node on PATH"
relay="$(cd "$(dirname "$0")" && pwd)/quickack-forward.mjs"
dir=$(mktemp -d "${TMPDIR:-/tmp}/with-quickack.XXXXXX")
child=""
cleanup() {
  # shellcheck disable=SC2046 # one pid per line
  [ ! -f "$dir/pids" ] || kill $(cat "$dir/pids") 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
# Signals go to the command, whose own shutdown (stopping its engine) is then awaited.
trap '[ -z "$child" ] || kill -TERM "$child" 2>/dev/null || true' TERM
trap '[ -z "$child" ] || kill -INT "$child" 2>/dev/null || true' INT
for port in $publish; do
  node "$relay" tcp-to-unix "$port" "$dir/$port.sock" &
  echo $! >>"$dir/pids"
done
# shellcheck disable=SC2086 # $flags is a list of options
WITH_QUICKACK_PUBLISH="$publish" WITH_QUICKACK_DIR="$dir" WITH_QUICKACK_RELAY="$relay" \
  unshare $flags sh -ec "$inner" with-quickack "$@" &
child=$!
while :; do
  status=0
  wait "$child" || status=$?
  # `wait` also returns when a trapped signal arrives; the command may still be shutting down.
  kill -0 "$child" 2>/dev/null || break
done
exit "$status"
