import { createClient } from "rivetkit/client";
import { createWarden, type WardenOptions, type WardenRegistry } from "../src/index.ts";
import { allocateEngine, type EngineSlot, stopEngine } from "./engine-harness.ts";
import { wasNotDelivered } from "./fixtures/processes.ts";

/** Tokens used across the tests: one per role, plus narrow ones. */
export const TOKENS = {
  agent: { id: "agent-1", role: "agent", projects: ["p1"] },
  agent2: { id: "agent-2", role: "agent", projects: ["p1"] },
  approver: { id: "alice", role: "approver", projects: ["p1"] },
  approver2: { id: "bob", role: "approver", projects: ["p1"] },
  admin: { id: "root", role: "admin", projects: "*" },
  otherProject: { id: "mallory", role: "approver", projects: ["p2"] },
  /** An agent limited to one session of p1. */
  narrowAgent: { id: "agent-n", role: "agent", projects: ["p1"], sessions: ["narrow"] },
  /** An approver limited to one session of p1. */
  narrowApprover: { id: "carol", role: "approver", projects: ["p1"], sessions: ["narrow"] },
  /** An admin limited to one session of p1. */
  narrowAdmin: { id: "erin", role: "admin", projects: ["p1"], sessions: ["narrow"] },
  /** An approver limited to three sessions of p1. */
  teamApprover: {
    id: "dana",
    role: "approver",
    projects: ["p1"],
    sessions: ["team-a", "team-b", "team-c"],
  },
} as const satisfies WardenOptions["tokens"];
export type TokenName = keyof typeof TOKENS;

export interface RunningWarden {
  slot: EngineSlot;
  registry: WardenRegistry;
  /** The actors' connection check, for a front in front of the engine (apps/server's). */
  admit: ReturnType<typeof createWarden>["admit"];
  client: ReturnType<typeof createClient<WardenRegistry>>;
  session(
    token: TokenName,
    sessionId: string,
    project?: string,
    input?: { cwd?: string },
  ): SessionHandle;
  stop(): Promise<void>;
}

type Client = ReturnType<typeof createClient<WardenRegistry>>;
export type SessionHandle = ReturnType<Client["permissionSession"]["getOrCreate"]>;

/** Boots a Warden registry on its own engine (storage and ports) in this process. */
export async function startWarden(options: Omit<WardenOptions, "tokens">): Promise<RunningWarden> {
  const slot = await allocateEngine();
  const { registry, admit } = createWarden({
    ...options,
    tokens: Object.fromEntries(
      Object.keys(TOKENS).map((name) => [name, TOKENS[name as TokenName]]),
    ),
  });
  registry.config.noWelcome = true;
  await registry.startAndWait();
  const client = createClient<WardenRegistry>(slot.endpoint);
  return {
    slot,
    registry,
    admit,
    client,
    session: (token, sessionId, project = "p1", input) =>
      resendUndelivered(
        client.permissionSession.getOrCreate([project, sessionId], {
          params: { token },
          ...(input ? { createWithInput: input } : {}),
        }),
      ),
    async stop() {
      await client.dispose();
      await registry.shutdown();
      await stopEngine(slot);
    },
  };
}

/**
 * Sends an action again when the engine never delivered it (a new actor on a loaded machine may
 * wait 15 s to be routed: `pegboard/route_resolve_query_timeout`), as a client would. Any answer
 * of the actor itself, error or not, is returned as is.
 */
function resendUndelivered<T extends object>(handle: T): T {
  return new Proxy(handle, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function" || property === "connect") return value;
      return (...args: unknown[]) => {
        const first = Reflect.apply(value, target, args);
        if (!(first instanceof Promise)) return first;
        const attempt = (promise: Promise<unknown>, left: number): Promise<unknown> =>
          promise.catch((error: unknown) => {
            if (left <= 0 || !wasNotDelivered(error)) throw error;
            return attempt(Reflect.apply(value, target, args), left - 1);
          });
        return attempt(first, 3);
      };
    },
  });
}
