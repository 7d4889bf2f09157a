// Reads sessions' audit logs for the load's audit check by actor id, with stateless HTTP actions:
// no key lookup in the engine and no WebSocket per session (an approver's `warden.session(id)`
// would resolve the key through a connection, then open a second one to read). The id is the one
// the agent's own connection learned when its first call created the session.
import { createRequire } from "node:module";
import { resolve } from "node:path";

/** What the check reads of one audit entry. */
export interface AuditEntry {
  readonly requestId: string;
  readonly resolution?: { readonly outcome: string } | null;
}

/** One page of a session's audit log, newest first, as the session's `getHistory` answers. */
export interface HistoryPage {
  readonly entries: readonly AuditEntry[];
  readonly nextBefore: number | null;
}

/** The part of RivetKit's client this reader uses. */
interface RawClient {
  readonly permissionSession: {
    getForId(
      actorId: string,
      options: { params: { token: string } },
    ): { getHistory(query: { limit: number; before?: number }): Promise<HistoryPage> };
  };
  dispose(): Promise<void>;
}

// RivetKit is a dependency of @warden/client, not of the repository's root where the load scripts
// resolve their imports: take the copy the SDK itself runs on.
const fromClient = createRequire(
  resolve(import.meta.dirname, "../../packages/client/package.json"),
);

/** Reads audit logs by actor id with one approver's token. */
export function createSessionReader(endpoint: string, token: string) {
  const { createClient } = fromClient("rivetkit/client") as {
    createClient(options: { endpoint: string; devtools: boolean }): RawClient;
  };
  const client = createClient({ endpoint, devtools: false });
  return {
    /** One page of the log of the session whose actor has this id. */
    page(actorId: string, query: { limit: number; before?: number }): Promise<HistoryPage> {
      return client.permissionSession.getForId(actorId, { params: { token } }).getHistory(query);
    },
    dispose: () => client.dispose(),
  };
}
