// What a request to the public port asks of the engine, read the way the engine's guard reads it
// (rivet-engine 2.3.19, `guard/src/routing/actor_path.rs`): `/gateway/<actorId>[@token]/…` reaches
// an existing actor by id, `/gateway/<name>/…?rvt-method=get|getOrCreate&rvt-key=a,b…` addresses
// one by key (and getOrCreate creates it), anything else is the engine's own API or its runner
// routes. Where this reading and the engine's could differ, the request is `malformed` (refused).

/** How the front treats a request. */
export type FrontRoute =
  /** The client's metadata lookup: open to anyone. */
  | { readonly kind: "public" }
  /** The health check: open to anyone; the server's own verdict first, then the engine's. */
  | { readonly kind: "health" }
  /** An existing actor by id: the engine creates nothing, the actor checks the caller. */
  | { readonly kind: "actor-by-id" }
  /** An actor by name and key: the front checks the caller before the engine may create it. */
  | {
      readonly kind: "actor-by-key";
      readonly name: string;
      readonly key: readonly string[];
      readonly method: "get" | "getOrCreate";
    }
  /** The engine's API and runner routes: its admin token only. */
  | { readonly kind: "engine" }
  | { readonly kind: "malformed"; readonly reason: string };

/** The `rvt-` parameters RivetKit 2.3.19's client and the engine know; any other is refused. */
const GATEWAY_PARAMS = new Set([
  "namespace",
  "method",
  "runner",
  "pool",
  "key",
  "input",
  "region",
  "crash-policy",
  "token",
  "skip-ready-wait",
]);

const PUBLIC_PATHS = new Set(["/metadata"]);

/**
 * Classifies a request by its method and raw request target (`req.url`, never normalised: the
 * engine parses the same bytes).
 */
export function routeOf(method: string, target: string): FrontRoute {
  if (!target.startsWith("/") || target.includes("#")) {
    return malformed("the request target must be a path without a fragment");
  }
  const mark = target.indexOf("?");
  const path = mark < 0 ? target : target.slice(0, mark);
  const query = mark < 0 ? "" : target.slice(mark + 1);
  if ((method === "GET" || method === "HEAD") && path === "/health") return { kind: "health" };
  if ((method === "GET" || method === "HEAD") && PUBLIC_PATHS.has(path)) return { kind: "public" };
  // The engine does not read a path with an empty segment as a gateway path.
  if (path.includes("//")) return { kind: "engine" };
  const segments = path.split("/").filter((segment) => segment !== "");
  if (segments[0] !== "gateway") return { kind: "engine" };

  const gatewayParams = new Map<string, string>();
  for (const part of query === "" ? [] : query.split("&")) {
    const eq = part.indexOf("=");
    const rawName = eq < 0 ? part : part.slice(0, eq);
    if (!looksLikeGatewayParam(rawName)) continue;
    const name = rawName.slice("rvt-".length);
    if (!rawName.startsWith("rvt-") || !GATEWAY_PARAMS.has(name)) {
      return malformed(`unknown gateway parameter ${JSON.stringify(rawName)}`);
    }
    if (gatewayParams.has(name)) return malformed(`gateway parameter ${rawName} given twice`);
    const value = decodeFormValue(eq < 0 ? "" : part.slice(eq + 1));
    if (value === undefined) return malformed(`gateway parameter ${rawName} is not well encoded`);
    gatewayParams.set(name, value);
  }

  const rawActor = segments[1];
  if (gatewayParams.size === 0) {
    // A direct path the engine cannot read falls through to its header routes (runner, envoy, API).
    return rawActor !== undefined && isDirectActorSegment(rawActor)
      ? { kind: "actor-by-id" }
      : { kind: "engine" };
  }
  if (rawActor === undefined || rawActor.includes("@")) {
    return malformed("an actor addressed by key is /gateway/<name>/…");
  }
  const name = decodePathSegment(rawActor);
  if (name === undefined || name === "") return malformed("the actor name is not well encoded");
  const lookup = gatewayParams.get("method");
  if (lookup !== "get" && lookup !== "getOrCreate") {
    return malformed("rvt-method must be get or getOrCreate");
  }
  const key = gatewayParams.get("key");
  return { kind: "actor-by-key", name, key: key ? key.split(",") : [], method: lookup };
}

/** `<actorId>` or `<actorId>@<token>`, both parts non-empty and well encoded. */
function isDirectActorSegment(segment: string): boolean {
  const at = segment.indexOf("@");
  const parts = at < 0 ? [segment] : [segment.slice(0, at), segment.slice(at + 1)];
  return parts.every((part) => part !== "" && decodePathSegment(part) !== undefined);
}

/**
 * Wider than the engine's test (a raw name starting `rvt-`): an encoded or capitalised variant is
 * caught too, and refused above, so that no spelling reaches the engine's key route unchecked.
 */
function looksLikeGatewayParam(rawName: string): boolean {
  const decoded = decodeFormValue(rawName) ?? rawName;
  return /^rvt/i.test(decoded) || /^rvt/i.test(rawName);
}

/** `+` as space, then percent-decoding, as the engine decodes `rvt-` values; undefined if invalid. */
function decodeFormValue(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw.replaceAll("+", " "));
  } catch {
    return undefined;
  }
}

function decodePathSegment(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function malformed(reason: string): FrontRoute {
  return { kind: "malformed", reason };
}
