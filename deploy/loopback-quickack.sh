#!/bin/sh
# Turns off delayed ACKs on this network namespace's loopback routes (`quickack 1`), which removes
# rivetkit 2.3.19's ~40 ms stall per action between the Warden server and the Rivet Engine it runs
# beside (see docs/latency.md). Needs CAP_NET_ADMIN in the namespace; changes nothing else.
#   loopback-quickack.sh           set the routes, then run the rest of the arguments (if any)
#   loopback-quickack.sh --check   exit 0 only if both loopback routes carry quickack (healthcheck)
set -eu

check() {
  routes=$(ip route show table local)
  for prefix in "local 127.0.0.0/8 " "local 127.0.0.1 "; do
    printf '%s\n' "$routes" | grep "^$prefix" | grep -q "quickack 1" || return 1
  done
}

if [ "${1:-}" = --check ]; then
  check
  exit
fi
ip link set lo up
ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
ip route change local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
check || { echo "loopback-quickack: the routes did not take quickack" >&2; exit 1; }
echo "loopback-quickack: loopback routes have quickack 1" >&2
[ "$#" -eq 0 ] || exec "$@"
