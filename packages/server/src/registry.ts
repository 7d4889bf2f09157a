import { randomBytes } from "node:crypto";
import type { PolicySource } from "@warden/rules";
import { setup } from "rivetkit";
import { type Admission, admit } from "./admission.ts";
import { type PrincipalInput, TokenTable } from "./auth.ts";
import type { PermissionHook } from "./hook.ts";
import type { ServerPolicy } from "./policy.ts";
import { createProjectActor } from "./project.ts";
import { type ProjectConn, projectConnections } from "./project-connection.ts";
import { isActorGone } from "./protocol.ts";
import { MAX_MESSAGE_BYTES } from "./schema.ts";
import { createSessionActor, type ProjectLink } from "./session.ts";
import type { ProjectClient } from "./session-effects.ts";
import type { PermissionRequest } from "./types.ts";

/** Everything a Warden server is made of. */
export interface WardenOptions {
  /** Policy files: the global tier and the project tiers (by project id). */
  readonly policy?: {
    readonly global?: PolicySource;
    readonly projects?: Readonly<Record<string, PolicySource>>;
    /** The project tier for projects without their own file. */
    readonly defaultProject?: PolicySource;
  };
  /** Tokens and the principals they stand for. */
  readonly tokens: Readonly<Record<string, PrincipalInput>>;
  /** The server-side hook, run for every ask before humans see it. */
  readonly onPermissionRequest?: PermissionHook;
  /** The hook's time budget (default 5 s); past it the request goes to humans. */
  readonly hookBudgetMs?: number;
  /** Pending requests one session may hold (default 100). */
  readonly maxPendingPerSession?: number;
  /** How long `requestPermission` waits for a human before answering `pending` (default 25 s). */
  readonly defaultWaitMs?: number;
  /** Secret for actor-to-actor calls; must be the same on every runner (default: random, or WARDEN_INTERNAL_TOKEN). */
  readonly internalToken?: string;
}

/** Reports larger than this (as JSON) go as a request of their own, not on the shared connection. */
const SHARED_REPORT_BYTES = MAX_MESSAGE_BYTES / 2;

/** How long a session's rules read is tried again before its decision fails. */
const RULES_READ_DEADLINE_MS = 15_000;

/** Retries an actor-to-actor call through restarts (the inbox must not miss a report). */
async function retried<T>(call: () => Promise<T>, deadlineMs = 120_000): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await call();
    } catch (error) {
      const group = (error as { group?: string }).group;
      if (group === "user" || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/**
 * Handles on project actors, by id once known. A call by key makes the engine find the actor by
 * its key first: four more storage transactions per call than by id (measured with
 * `bench/probes/call-cost.ts`, docs/scale.md), and sessions call their project on every ask and
 * its settlement. The id is the project's own: `loadSessionRules` (a session's first call to it)
 * and `noteInbox` answer with `c.actorId`, so a session's first report (in a first round of asks,
 * every session's at once) goes by id, learning it costs no lookup, and it works where the engine's actor API refuses `resolve()` without its
 * admin token (a cluster). It is forgotten only when the engine says the actor is gone: a timeout
 * or a restart keeps it (an actor keeps its id across restarts), where forgetting it on every
 * failure made a lookup by key per retry under load.
 */
function projectAddresses(internalToken: string) {
  const ids = new Map<string, string>();
  const params = { token: internalToken };
  return {
    handle(client: ProjectClient, projectId: string) {
      const id = ids.get(projectId);
      return id !== undefined
        ? client.wardenProject.getForId(id, { params })
        : client.wardenProject.getOrCreate([projectId], { params });
    },
    learn(projectId: string, actorId: string) {
      ids.set(projectId, actorId);
    },
    failed(projectId: string, error: unknown) {
      if (isActorGone(error)) ids.delete(projectId);
    },
  };
}

/**
 * Builds Warden's RivetKit registry: the `permissionSession` actor (one per agent session, keyed
 * `[projectId, sessionId]`) and the `wardenProject` actor (learned project rules and the inbox).
 * @example const { registry } = createWarden({ tokens: { [process.env.AGENT_TOKEN!]: { id: "agent", role: "agent", projects: ["demo"] } } }); await registry.startAndWait();
 */
export function createWarden(options: WardenOptions) {
  const internalToken =
    options.internalToken ?? process.env.WARDEN_INTERNAL_TOKEN ?? randomBytes(32).toString("hex");
  if (Object.hasOwn(options.tokens, internalToken))
    throw new Error("the internal token must differ from every user token");
  const tokens = new TokenTable(options.tokens, internalToken);
  const policy: ServerPolicy = {
    ...(options.policy?.global ? { global: options.policy.global } : {}),
    project: (projectId) => options.policy?.projects?.[projectId] ?? options.policy?.defaultProject,
  };
  const addresses = projectAddresses(internalToken);
  /** Calls the project actor; the engine's word that it is gone forgets its id. */
  const toProject = async <T>(
    client: ProjectClient,
    projectId: string,
    call: (handle: ReturnType<typeof addresses.handle>) => Promise<T>,
  ): Promise<T> => {
    try {
      return await call(addresses.handle(client, projectId));
    } catch (error) {
      addresses.failed(projectId, error);
      throw error;
    }
  };
  // A session's rules read and reports go over the runner's connection to its project (no gateway
  // lookup or request metrics per call: project-connection.ts); rare calls stay stateless.
  const connections = projectConnections(
    () => {
      const config = registry.parseConfig();
      return { ...config, poolName: config.envoy.poolName };
    },
    (client, projectId) => addresses.handle(client, projectId),
  );
  const overConnection = async <T>(
    projectId: string,
    call: (conn: ProjectConn) => Promise<T>,
  ): Promise<T> => {
    try {
      return await connections.call(projectId, call);
    } catch (error) {
      addresses.failed(projectId, error);
      throw error;
    }
  };
  const project: ProjectLink = {
    loadRules: async (_client, projectId, sessionId) => {
      // Retried briefly (the read is idempotent): a connection that failed to open (e.g. the
      // engine's `guard/actor_wake_retries_exceeded` while the project starts) fails the actions
      // queued on it, which a stateless request did not show. Past the deadline the decision fails.
      const answer = await retried(
        () => overConnection(projectId, (conn) => conn.loadSessionRules(sessionId)),
        RULES_READ_DEADLINE_MS,
      );
      addresses.learn(projectId, answer.actorId);
      return answer.rules;
    },
    addRules: async (client, projectId, rules) => {
      await toProject(client, projectId, (handle) => handle.addProjectRules(rules));
    },
    noteInbox: async (client, projectId, report) => {
      // A report near the actors' message limit (a sync of many large pending requests) goes
      // alone as a request: refused over the shared connection, it could take the connection,
      // and the other sessions' calls on it, down with it at each of its retries.
      const alone = JSON.stringify(report).length > SHARED_REPORT_BYTES;
      const answer = await retried(() =>
        alone
          ? toProject(client, projectId, (handle) => handle.noteInbox(report))
          : overConnection(projectId, (conn) => conn.noteInbox(report)),
      );
      addresses.learn(projectId, answer.actorId);
    },
  };

  const permissionSession = createSessionActor({
    policy,
    tokens,
    project,
    ...(options.onPermissionRequest ? { hook: options.onPermissionRequest } : {}),
    hookBudgetMs: options.hookBudgetMs ?? 5_000,
    maxPending: options.maxPendingPerSession ?? 100,
    defaultWaitMs: options.defaultWaitMs ?? 25_000,
  });
  const sessionOf = (client: unknown, projectId: string, sessionId: string) =>
    (
      client as {
        permissionSession: {
          getOrCreate(
            key: string[],
            opts: unknown,
          ): {
            listPending(): Promise<PermissionRequest[]>;
            reloadProjectRules(): Promise<void>;
            dropProjectRules(): Promise<void>;
          };
        };
      }
    ).permissionSession.getOrCreate([projectId, sessionId], { params: { token: internalToken } });
  const wardenProject = createProjectActor({
    tokens,
    policy,
    sessions: {
      listPending: (client, projectId, sessionId) =>
        sessionOf(client, projectId, sessionId).listPending(),
      reloadRules: (client, projectId, sessionId) =>
        retried(() => sessionOf(client, projectId, sessionId).reloadProjectRules()),
      forgetRules: (client, projectId, sessionId) =>
        retried(() => sessionOf(client, projectId, sessionId).dropProjectRules()),
    },
  });
  const registry = setup({
    use: { permissionSession, wardenProject },
    maxIncomingMessageSize: MAX_MESSAGE_BYTES,
  });
  // The runner's connections to its projects close with it (they would otherwise keep reconnecting).
  const shutdown = registry.shutdown.bind(registry);
  registry.shutdown = async (...args: Parameters<typeof shutdown>) => {
    await connections.dispose();
    return shutdown(...args);
  };
  /** The actors' own connection check, for a front that refuses before the engine creates anything. */
  const admitConnection = (name: string, key: unknown, params: unknown): Admission =>
    admit(tokens, name, key, params);
  return { registry, admit: admitConnection };
}

/** The registry's type, for `createClient<WardenRegistry>()`. */
export type WardenRegistry = ReturnType<typeof createWarden>["registry"];
