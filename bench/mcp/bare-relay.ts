// The bench's baseline: the same process hop as the gateway (the SDK's stdio transports on both
// sides, every message forwarded) with no Warden and no decisions. Only the bench runs it.
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const [command, ...args] = process.argv.slice(2);
const upstream = new StdioClientTransport({ command: command!, args, stderr: "inherit" });
const downstream = new StdioServerTransport();
upstream.onmessage = (message) => void downstream.send(message);
downstream.onmessage = (message) => void upstream.send(message);
upstream.onclose = () => process.exit(0);
process.stdin.once("end", () => process.exit(0));
await upstream.start();
await downstream.start();
