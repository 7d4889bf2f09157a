#!/bin/sh
# Runs a command in a private network namespace whose loopback routes disable delayed ACKs.
# The host's routes are untouched; needs user namespaces (or root). Usage: with-quickack.sh node ...
exec unshare --user --map-root-user --net sh -ec '
  ip link set lo up
  ip route change local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
  ip route change local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 quickack 1
  exec "$@"
' with-quickack "$@"
