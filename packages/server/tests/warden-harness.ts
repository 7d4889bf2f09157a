import { createClient } from "rivetkit/client";
import { createWarden, type WardenOptions, type WardenRegistry } from "../src/index.ts";
import { allocateEngine, type EngineSlot, stopEngine } from "./engine-harness.ts";

/** Tokens used across the tests: one per role, plus narrow ones. */
export const TOKENS = {
  agent: { id: "agent-1", role: "agent", projects: ["p1"] },
  agent2: { id: "agent-2", role: "agent", projects: ["p1"] },
  approver: { id: "alice", role: "approver", projects: ["p1"] },
  approver2: { id: "bob", role: "approver", projects: ["p1"] },
  admin: { id: "root", role: "admin", projects: "*" },
  otherProject: { id: "mallory", role: "approver", projects: ["p2"] },
} as const satisfies WardenOptions["tokens"];
export type TokenName = keyof typeof TOKENS;

export interface RunningWarden {
  slot: EngineSlot;
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
  const { registry } = createWarden({
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
    client,
    session: (token, sessionId, project = "p1", input) =>
      client.permissionSession.getOrCreate([project, sessionId], {
        params: { token },
        ...(input ? { createWithInput: input } : {}),
      }),
    async stop() {
      await client.dispose();
      await registry.shutdown();
      await stopEngine(slot);
    },
  };
}
