#!/bin/sh
# Checks the container recipe of docs/latency.md without containers: Warden's server (a runner and
# the engine it spawns, as apps/server runs them) in one network namespace at 10.77.0.2, a client in
# another at 10.77.0.1, joined by a veth pair. Measures the client's round trips with the server
# namespace's routes as they are, then after the entrypoint lines that add `quickack 1` to them.
# Nothing on the host changes. Usage (~1 min per mode): packages/server/bench/container-probe.sh
# MODES="default quickack loopback-only network-only" picks which route sets to try.
set -eu
here=$(cd "$(dirname "$0")" && pwd)

if [ "${1:-}" != --inside ]; then
  for tool in unshare nsenter ip node; do
    command -v "$tool" >/dev/null 2>&1 || { echo "container-probe: '$tool' not found" >&2; exit 1; }
  done
  exec unshare --user --map-root-user --net "$0" --inside
fi

ip link set lo up
cd "$here/.."
for mode in ${MODES:-default quickack}; do
  unshare --net sleep 600 &
  holder=$!
  sleep 0.3
  server_ns="--net=/proc/$holder/ns/net"
  ip link add client0 type veth peer name server0 netns "$holder"
  ip addr add 10.77.0.1/24 dev client0
  ip link set client0 up
  nsenter "$server_ns" sh -ec '
    ip link set lo up
    ip addr add 10.77.0.2/24 dev server0
    ip link set server0 up'
  case $mode in
    quickack | loopback-only)
      # The entrypoint lines (docs/latency.md): quickack on the server container's loopback routes...
      nsenter "$server_ns" sh -ec '
        ip route show table local | grep "^local " | while read -r route; do
          ip route change $route table local quickack 1
        done' ;;
  esac
  case $mode in
    quickack | network-only)
      # ...and on its routes to other containers.
      nsenter "$server_ns" sh -ec '
        ip route show | while read -r route; do ip route change $route quickack 1; done' ;;
  esac
  storage=$(mktemp -d "${TMPDIR:-/tmp}/warden-container-probe.XXXXXX")
  nsenter "$server_ns" env RIVETKIT_STORAGE_PATH="$storage" RIVET_RUN_ENGINE_HOST=0.0.0.0 \
    RIVET_RUN_ENGINE_PORT=6420 RIVET_RUN_SERVICES=0 RIVET_LOG_LEVEL=error \
    RIVET__RUNTIME__WORKER_CPU_MAX=64000 \
    node --import tsx bench/runner.ts >/dev/null 2>&1 &
  runner=$!
  printf '%s: ' "$mode"
  ENDPOINT=http://10.77.0.2:6420 RIVET_LOG_LEVEL=error node --import tsx bench/remote-client.ts ||
    echo "client failed"
  kill "$runner" 2>/dev/null || true
  sleep 0.5
  engine=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$storage/.rivetkit/var/engine/runtime.json" 2>/dev/null || true)
  if [ -n "$engine" ]; then
    kill "$engine" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$engine" 2>/dev/null || break; sleep 0.3; done
    kill -9 "$engine" 2>/dev/null || true
  fi
  kill "$holder" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$storage"
done
