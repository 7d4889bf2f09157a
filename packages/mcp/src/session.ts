import { homedir } from "node:os";
import { createWardenClient, type WardenClient } from "@warden/client";
import { type Gate, wardenGate } from "./gate.ts";
import type { GatewayOptions } from "./options.ts";

const DISPOSE_MS = 5_000;

/** The Warden side of a gateway: one client, one session (gate) per MCP client connection. */
export interface WardenLink {
  /** A gate on the session given by `--session`, or on a new session for this connection. */
  gate(): { readonly sessionId: string; readonly gate: Gate };
  dispose(): Promise<void>;
}

/** Connects to Warden with the gateway's options. */
export function linkWarden(options: GatewayOptions): WardenLink {
  const warden: WardenClient = createWardenClient({
    endpoint: options.endpoint,
    token: options.token,
    project: options.project,
    fastPath: options.fastPath,
    retry: { deadlineMs: options.unreachableMs },
  });
  return {
    gate() {
      const sessionId = options.session ?? `mcp-${crypto.randomUUID().slice(0, 8)}`;
      const session = warden.session(sessionId, { cwd: options.cwd, home: homedir() });
      return { sessionId, gate: wardenGate(session, { unreachableMs: options.unreachableMs }) };
    },
    // Bounded: with Warden unreachable, RivetKit's client would wait for it before closing.
    dispose: () =>
      Promise.race([
        warden.dispose({ flushMs: 2_000 }),
        new Promise<void>((resolve) => setTimeout(resolve, DISPOSE_MS).unref()),
      ]),
  };
}

/** The environment a child server gets: the gateway's own, without Warden's settings and token. */
export function childEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const child: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !key.startsWith("WARDEN_")) child[key] = value;
  }
  return child;
}
