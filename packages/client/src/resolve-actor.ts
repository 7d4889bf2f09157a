import { WardenError } from "./errors.ts";

/** What this module needs of a RivetKit handle addressed by key. */
interface KeyedHandle {
  resolve(): Promise<string>;
  connect(): {
    onOpen(callback: () => void): () => void;
    onError(callback: (error: unknown) => void): () => void;
    dispose(): Promise<void>;
  };
}

/** How long the gateway may take to create or wake the actor before the attempt is retried. */
const GATEWAY_RESOLVE_MS = 30_000;
/**
 * How long the engine's actor API may take to answer one creation (get-or-create by key) before
 * it is retried. RivetKit's request has no bound of its own, and a creation holds a place under
 * the client's creation bound while it runs: with 1,000 sessions, creations that never settled
 * held every place and the client's creations stopped for minutes, with no error (docs/scale.md).
 */
const RESOLVE_MS = 30_000;

/**
 * Resolves a keyed handle to its actor's id; see `createActorResolver`. Takes a fresh handle per
 * attempt: RivetKit's handle shares one resolution among its callers until it settles, so a retry
 * on the same handle would wait on the attempt it gave up on.
 */
export type ActorResolver = (handle: KeyedHandle) => Promise<string>;

/**
 * Resolves actor ids for one client. The engine's actor API (`handle.resolve()`) answers only
 * callers with the engine's admin token once the engine has one (a cluster's engines,
 * docs/deploy.md); agents and approvers never hold it, so then the id is read from a connection
 * opened by key through the gateway, which needs no engine token. Once the API has refused, the
 * client goes straight to the gateway (each refusal is a warning in RivetKit's log).
 */
export function createActorResolver(): ActorResolver {
  let gatewayOnly = false;
  return async (handle) => {
    if (!gatewayOnly) {
      try {
        return await withinBound(handle.resolve(), RESOLVE_MS);
      } catch (error) {
        if (!needsEngineToken(error)) throw error;
        gatewayOnly = true;
      }
    }
    return resolveThroughGateway(handle);
  };
}

async function resolveThroughGateway(handle: KeyedHandle): Promise<string> {
  const conn = handle.connect();
  try {
    return await new Promise<string>((resolve, reject) => {
      // A plain error: callers retry it as transient.
      const timer = setTimeout(
        () => reject(new Error("the gateway did not open the actor in time")),
        GATEWAY_RESOLVE_MS,
      );
      const done = () => {
        clearTimeout(timer);
        // RivetKit 2.3.19's connection knows its actor's id once open; its type does not say so.
        const { actorId } = conn as { actorId?: string };
        if (actorId) resolve(actorId);
        else reject(new Error("the connection opened without an actor id"));
      };
      conn.onOpen(done);
      conn.onError((e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  } finally {
    await conn.dispose().catch(() => undefined);
  }
}

/** Settles with `promise`, or fails as transient (retried, a sign of overload) after `ms`. */
function withinBound<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new WardenError("unavailable", `the engine did not create the actor within ${ms} ms`),
          ),
        ms,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

function needsEngineToken(error: unknown): boolean {
  const e = error as { group?: unknown; code?: unknown } | undefined;
  return e?.group === "api" && e.code === "forbidden";
}
