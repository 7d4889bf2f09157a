import type { SessionCreateInput, WardenRegistry } from "@warden/server";
import { createClient } from "rivetkit/client";
import type { RetryPolicy } from "./retry.ts";
import { WardenSession } from "./session.ts";

/** Where Warden is and who you are. */
export interface WardenClientOptions {
  /** The server's endpoint, e.g. `http://127.0.0.1:6420`. */
  readonly endpoint: string;
  readonly token: string;
  /** The project sessions belong to unless `session()` names another. */
  readonly project: string;
  readonly retry?: RetryPolicy;
}

/** Options of one session. */
export interface SessionOptions extends SessionCreateInput {
  readonly project?: string;
}

/**
 * Connects to a Warden server.
 * @example
 * const warden = createWardenClient({ endpoint: "http://127.0.0.1:6420", token, project: "demo" });
 * const decision = await warden.session("run-42", { cwd: "/repo" }).requestPermission({ toolName: "Bash", input: { command: "npm test" } });
 */
export function createWardenClient(options: WardenClientOptions) {
  const rivet = createClient<WardenRegistry>(options.endpoint);
  const sessions = new Map<string, WardenSession>();
  return {
    /** A session handle; the same id gives the same handle. */
    session(sessionId: string, sessionOptions: SessionOptions = {}): WardenSession {
      const project = sessionOptions.project ?? options.project;
      const key = `${project}\u0000${sessionId}`;
      let session = sessions.get(key);
      if (!session) {
        const { project: _project, ...input } = sessionOptions;
        const params = { token: options.token };
        const handle = rivet.permissionSession.getOrCreate([project, sessionId], {
          params,
          createWithInput: input,
        });
        session = new WardenSession(
          project,
          sessionId,
          {
            resolveId: () => handle.resolve(),
            open: (actorId) => rivet.permissionSession.getForId(actorId, { params }).connect(),
          },
          options.retry ?? {},
        );
        sessions.set(key, session);
      }
      return session;
    },
    /** Closes every connection. */
    async dispose(): Promise<void> {
      await Promise.all([...sessions.values()].map((session) => session.dispose()));
      sessions.clear();
      await rivet.dispose();
    },
  };
}

/** A Warden client. */
export type WardenClient = ReturnType<typeof createWardenClient>;
