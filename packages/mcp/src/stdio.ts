import type { Readable, Writable } from "node:stream";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { StdioOptions } from "./options.ts";
import { Relay } from "./relay.ts";
import { childEnvironment, linkWarden } from "./session.ts";

/** A running stdio gateway. */
export interface StdioGateway {
  readonly sessionId: string;
  /** Resolves with the side that closed first: the client (stdin ended) or the server (it exited). */
  readonly closed: Promise<"client" | "server">;
  close(): Promise<void>;
}

/**
 * Starts the server's command as a child and relays MCP between it and this process's stdio,
 * asking Warden before every tools/call.
 * @example const gateway = await startStdioGateway(options, { stdin: process.stdin, stdout: process.stdout, log });
 */
export async function startStdioGateway(
  options: StdioOptions,
  io: {
    readonly stdin: Readable;
    readonly stdout: Writable;
    readonly env: NodeJS.ProcessEnv;
    readonly log: (line: string) => void;
  },
): Promise<StdioGateway> {
  const warden = linkWarden(options);
  const { sessionId, gate } = warden.gate();
  const upstream = new StdioClientTransport({
    command: options.command,
    args: options.args,
    env: childEnvironment(io.env),
    // The server's own diagnostics go where the client collects the gateway's.
    stderr: "inherit",
  });
  const downstream = new StdioServerTransport(io.stdin, io.stdout);
  let resolve: (side: "client" | "server") => void = () => undefined;
  const closed = new Promise<"client" | "server">((r) => {
    resolve = r;
  });
  const relay = new Relay({
    downstream,
    upstream,
    gate,
    serverName: options.server,
    hideDenied: options.hideDenied,
    answerMalformed: true,
    log: io.log,
    progressIntervalMs: options.progressMs,
    onClose: (side) => {
      void warden.dispose().finally(() => resolve(side));
    },
  });
  // The client's stdin ending is the end of the connection (the SDK's transport does not say so).
  io.stdin.once("end", () => void relay.close("client"));
  try {
    await relay.start();
  } catch (error) {
    await warden.dispose();
    throw error;
  }
  return {
    sessionId,
    closed,
    async close() {
      await relay.close("client");
      await closed;
    },
  };
}
