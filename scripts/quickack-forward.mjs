#!/usr/bin/env node
// Carries TCP connections over a unix socket, so that a port inside the private network namespace of
// scripts/with-quickack.sh is reachable on the host's loopback (`--publish`). Every TCP socket gets
// TCP_NODELAY, so the relay adds no Nagle stall of its own.
//   quickack-forward.mjs tcp-to-unix <port> <socket>   host side: 127.0.0.1:<port> → <socket>
//   quickack-forward.mjs unix-to-tcp <socket> <port>   namespace side: <socket> → 127.0.0.1:<port>
import { connect, createServer } from "node:net";

const [mode, from, to] = process.argv.slice(2);

function relay(incoming, outgoing) {
  for (const socket of [incoming, outgoing]) {
    if (socket.setNoDelay) socket.setNoDelay(true);
    socket.on("error", () => {
      incoming.destroy();
      outgoing.destroy();
    });
  }
  incoming.pipe(outgoing).pipe(incoming);
}

if (mode === "tcp-to-unix" && from && to) {
  createServer((socket) => relay(socket, connect(to))).listen(Number(from), "127.0.0.1");
} else if (mode === "unix-to-tcp" && from && to) {
  createServer((socket) => relay(socket, connect(Number(to), "127.0.0.1"))).listen(from);
} else {
  console.error(
    "usage: quickack-forward.mjs tcp-to-unix <port> <socket> | unix-to-tcp <socket> <port>",
  );
  process.exit(2);
}
