// RivetKit 2.3.19 can leave an actor running on closed SQLite storage after its runner's engine
// node failed over: the engine starts it again on the same runner, the actor's connection to the
// engine stands, and every storage call fails for good ("sqlite transaction coordinator is
// closed", "SQLite database is closed", or `c.db` refused as `database_client_not_ready` because
// its migration could not run). Nothing in RivetKit restarts it and it offers no hook, so Warden's
// action guard reports these errors here and the server decides (apps/server, storage-watch.ts).

/** The errors of closed actor storage, as RivetKit 2.3.19 raises them into actions: `group/code`. */
const CLOSED_STORAGE_CODES: ReadonlySet<string> = new Set([
  "sqlite/transaction_closed",
  "sqlite/closed",
  "actor/database_client_not_ready",
]);

/** A storage call of one actor failed on closed storage. */
export interface StorageFault {
  readonly actorId: string;
  /** `group/code` of the error (one of CLOSED_STORAGE_CODES). */
  readonly code: string;
  readonly at: number;
}

/** The `group/code` of a closed-storage error in `error` or its causes, else undefined. */
export function closedStorageCode(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 8; depth++) {
    if (typeof cause !== "object") return undefined;
    const { group, code } = cause as { group?: unknown; code?: unknown };
    const key = `${String(group)}/${String(code)}`;
    if (CLOSED_STORAGE_CODES.has(key)) return key;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

type StorageFaultListener = (fault: StorageFault) => void;
/** One set per process: the runner process is what a closed-storage actor forces to restart. */
const listeners = new Set<StorageFaultListener>();

/** Calls `listener` for every closed-storage error an action or hook of this process raised. */
export function onStorageFault(listener: StorageFaultListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Reports `error` if it is a closed-storage error of actor `actorId`; returns nothing. */
function report(actorId: string, error: unknown): void {
  const code = closedStorageCode(error);
  if (code === undefined) return;
  const fault: StorageFault = { actorId, code, at: Date.now() };
  for (const listener of listeners) listener(fault);
}

/**
 * Runs an action or hook and reports a closed-storage error it throws or rejects with; the
 * outcome the caller sees is unchanged.
 */
export function watchStorage<T>(actorId: () => string, run: () => T): T {
  let result: T;
  try {
    result = run();
  } catch (error) {
    report(safeId(actorId), error);
    throw error;
  }
  if (result instanceof Promise) {
    return result.catch((error: unknown) => {
      report(safeId(actorId), error);
      throw error;
    }) as T;
  }
  return result;
}

/** A context whose actor is gone may refuse even its id: the fault still counts. */
function safeId(actorId: () => string): string {
  try {
    return actorId();
  } catch {
    return "unknown";
  }
}
