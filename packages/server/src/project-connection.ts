// Sessions' calls to their project over one open connection per runner and project. A stateless
// call is an HTTP request through the engine's gateway: an actor lookup
// (`pegboard_actor_get_for_gateway`) and request metrics (`gateway_record_req_metrics`) in the
// engine's storage for each, and a session makes two at its creation (its rules read and its
// first history report; docs/scale.md, "What a creation costs, by name"). An action on an open
// connection costs neither. The actions, their checks and their answers are the same: only the
// way there changes, so freshness and durability are the project's as before.
import { createClient } from "rivetkit/client";
import type { ProjectClient } from "./session-effects.ts";

/** The project actor's handle as a connection (its actions, over the WebSocket). */
export type ProjectConn = ReturnType<
  ReturnType<ProjectClient["wardenProject"]["getOrCreate"]>["connect"]
>;

/**
 * How long a call waits for its answer before it fails and its connection is replaced. The
 * client queues an action while its connection is down and, after some closes, never answers it:
 * a call must end, so that its caller's own retries (or the agent's) take over.
 */
export const PROJECT_CALL_TIMEOUT_MS = 20_000;

/**
 * How long a connection stays open after its last call: a runner keeps connections only to the
 * projects its sessions are using, not to every project it ever served.
 */
export const PROJECT_CONNECTION_IDLE_MS = 60_000;

/** Where the runner reaches the engine, read when the first connection opens (after start). */
export interface EngineAddress {
  readonly endpoint?: string | undefined;
  readonly token?: string | undefined;
  readonly namespace?: string | undefined;
  /** The runners' pool: a project the connection creates is placed where runners serve it. */
  readonly poolName?: string | undefined;
}

/**
 * One connection per project, opened on the first call, closed when idle, and replaced after a
 * call timed out (the next call opens a new one rather than queue behind a dead one). A call that
 * fails is never retried here: callers retry as they did over HTTP, and
 * both actions called this way are idempotent (a resent report or rules read changes nothing
 * twice).
 */
export function projectConnections(
  address: () => EngineAddress,
  target: (
    client: ProjectClient,
    projectId: string,
  ) => ReturnType<ProjectClient["wardenProject"]["getOrCreate"]>,
) {
  let client: ProjectClient | undefined;
  const open = new Map<string, ProjectConn>();
  const idle = new Map<string, ReturnType<typeof setTimeout>>();

  function connectionOf(projectId: string): ProjectConn {
    const existing = open.get(projectId);
    if (existing) return existing;
    if (client === undefined) {
      const { endpoint, token, namespace, poolName } = address();
      client = createClient({
        ...(endpoint !== undefined ? { endpoint } : {}),
        ...(token !== undefined ? { token } : {}),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(poolName !== undefined ? { poolName } : {}),
        encoding: "bare",
        disableMetadataLookup: true,
      }) as unknown as ProjectClient;
    }
    const conn = target(client, projectId).connect();
    // Errors reach the calls that were waiting (or their timeouts); nothing else listens.
    conn.onError(() => drop(projectId, conn));
    open.set(projectId, conn);
    return conn;
  }

  function drop(projectId: string, conn: ProjectConn) {
    if (open.get(projectId) !== conn) return;
    open.delete(projectId);
    clearTimeout(idle.get(projectId));
    idle.delete(projectId);
    conn.dispose().catch(() => {});
  }

  /** Closes the connection once no call used it for `PROJECT_CONNECTION_IDLE_MS`. */
  function used(projectId: string, conn: ProjectConn) {
    clearTimeout(idle.get(projectId));
    const timer = setTimeout(() => drop(projectId, conn), PROJECT_CONNECTION_IDLE_MS);
    timer.unref();
    idle.set(projectId, timer);
  }

  return {
    /** Calls the project over its connection; fails on error, and drops it on a timeout. */
    async call<T>(projectId: string, action: (conn: ProjectConn) => Promise<T>): Promise<T> {
      const conn = connectionOf(projectId);
      used(projectId, conn);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // No answer at all: the connection is presumed dead, and the next call opens another.
          // An error answered by the project, or a closed socket (which RivetKit reopens by
          // itself), fails this call only: other sessions' calls on the connection go on.
          drop(projectId, conn);
          reject(new Error(`no answer from the project within ${PROJECT_CALL_TIMEOUT_MS} ms`));
        }, PROJECT_CALL_TIMEOUT_MS);
      });
      try {
        return await Promise.race([action(conn), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    /** Closes every connection (the runner stops). */
    async dispose(): Promise<void> {
      const conns = [...open.values()];
      open.clear();
      for (const timer of idle.values()) clearTimeout(timer);
      idle.clear();
      await Promise.allSettled(conns.map((conn) => conn.dispose()));
    },
  };
}
