// Which browser origins may call the server (the inbox's), and the CORS headers that say so. The
// engine answers every origin by itself; the front answers preflights instead and strips the
// engine's CORS headers, so only configured origins get an allowance.

/** The inbox's origins when none are configured: its dev server (`pnpm --filter @warden/web dev`). */
export const DEFAULT_ALLOWED_ORIGINS = ["http://127.0.0.1:5173", "http://localhost:5173"] as const;

/** What an allowed origin's scripts may send and read (RivetKit's client and the inbox). */
const ALLOWED_METHODS = "GET, POST, PUT, DELETE";
const EXPOSED_HEADERS =
  "x-rivet-ray-id, x-rivet-actor, x-rivet-actor-generation, x-rivet-actor-key, content-type";
/** A header list as a browser sends it in Access-Control-Request-Headers. */
const HEADER_LIST = /^[\w-]+(?:\s*,\s*[\w-]+)*$/;

/**
 * An origin as browsers send it (`scheme://host[:port]`, no path), or undefined when the value is
 * not one (`null`, `*`, a URL with a path or credentials, a scheme other than http/https).
 */
export function normalizeOrigin(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return undefined;
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.pathname !== "/" || value.endsWith("/")) return undefined;
  return url.origin;
}

/** Whether a request is a CORS preflight, which the front answers itself and never forwards. */
export function isPreflight(method: string, headers: Record<string, unknown>): boolean {
  return method === "OPTIONS" && headers["access-control-request-method"] !== undefined;
}

/** The headers of a preflight's answer for an allowed origin. */
export function preflightHeaders(
  origin: string,
  requestedHeaders: string | undefined,
): Record<string, string> {
  return {
    ...corsHeaders(origin),
    "access-control-allow-methods": ALLOWED_METHODS,
    ...(requestedHeaders && HEADER_LIST.test(requestedHeaders.trim())
      ? { "access-control-allow-headers": requestedHeaders.trim() }
      : {}),
    "access-control-max-age": "600",
  };
}

/** The CORS headers of a response to an allowed origin (RivetKit's client sends credentials). */
export function corsHeaders(origin: string): Record<string, string> {
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": EXPOSED_HEADERS,
    vary: "Origin",
  };
}

/** Headers of the engine's answers that the front drops: its CORS allowances and its `vary`. */
export function isEngineCorsHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith("access-control-") || lower === "vary";
}
