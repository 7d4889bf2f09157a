// The floor of an HTTP gateway: a reverse proxy that forwards each request's bytes to the
// upstream on a keep-alive connection and streams the answer back, parsing nothing of MCP.
// Usage: byte-proxy.ts <upstream URL>; prints "listening <port>". Only the bench runs it.
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

const upstream = new URL(process.argv[2]!);
const agent = new Agent({ keepAlive: true });
const server = createServer((req, res) => {
  const headers = { ...req.headers, host: upstream.host };
  const out = request(
    {
      host: upstream.hostname,
      port: upstream.port,
      path: req.url,
      method: req.method,
      headers,
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  out.on("error", () => res.destroy());
  req.pipe(out);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
