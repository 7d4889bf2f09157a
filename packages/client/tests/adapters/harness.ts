// One Warden server per test file, an agent client and an approver client, and an approver that
// answers requests as a person in the inbox would.
import { policySource } from "@warden/rules";
import { startTestWarden, type TestWarden } from "@warden/server/testing";
import {
  createWardenClient,
  type PermissionReply,
  type PermissionRequest,
  type RespondOptions,
  type WardenClient,
} from "../../src/index.ts";

export interface Harness {
  readonly server: TestWarden;
  readonly agent: WardenClient;
  readonly approver: WardenClient;
  stop(): Promise<void>;
}

/** What the harness's hook appends to a `shell` command that starts with `hook-edit`. */
export const HOOK_EDIT = " --safe";

/**
 * The policy every adapter test runs under: reads allowed, `rm` denied, everything else asks; the
 * server's hook allows a `shell` command starting with `hook-edit` at once, with HOOK_EDIT appended
 * (an edit made without a human).
 */
export async function startHarness(): Promise<Harness> {
  const server = await startTestWarden({
    tokens: {
      "agent-token": { id: "agent-1", role: "agent", projects: ["demo"] },
      "approver-token": { id: "alice", role: "approver", projects: ["demo"] },
    },
    onPermissionRequest: async (c, sessionId, request) => {
      const command = request.input.command;
      if (request.toolName !== "shell" || typeof command !== "string") return;
      if (!command.startsWith("hook-edit")) return;
      await c.respondPermission(sessionId, request.permissionId, "once", {
        updatedInput: { command: `${command}${HOOK_EDIT}` },
      });
    },
    policy: {
      defaultProject: policySource({
        rules: [
          { tool: "Read", behavior: "allow" },
          { tool: "read_file", behavior: "allow" },
          { tool: "Bash(rm *)", behavior: "deny", message: "No deleting." },
          { tool: "shell(rm *)", behavior: "deny", message: "No deleting." },
        ],
      }),
    },
  });
  const agent = createWardenClient({
    endpoint: server.endpoint,
    token: "agent-token",
    project: "demo",
  });
  const approver = createWardenClient({
    endpoint: server.endpoint,
    token: "approver-token",
    project: "demo",
  });
  return {
    server,
    agent,
    approver,
    async stop() {
      await Promise.all([agent.dispose(), approver.dispose()]);
      await server.stop();
    },
  };
}

/** What the approver answers to a request. */
export type Answer = (request: PermissionRequest) => {
  reply: PermissionReply;
  options?: RespondOptions;
};

/**
 * Answers every request of a session as it arrives, as a human in the inbox would, and records
 * what it saw. Returns the requests seen and a function to stop.
 */
export async function answerAs(client: WardenClient, sessionId: string, answer: Answer) {
  const session = client.session(sessionId);
  const seen: PermissionRequest[] = [];
  const errors: unknown[] = [];
  const unsubscribe = await session.subscribe({
    onRequest: (request) => {
      seen.push(request);
      const { reply, options } = answer(request);
      session
        .respond(request.permissionId, reply, options)
        .catch((error: unknown) => errors.push(error));
    },
  });
  return { seen, errors, stop: unsubscribe };
}
