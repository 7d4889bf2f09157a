// Who may talk to the HTTP listener at all, checked before a request opens or touches anything.
// The gateway has no authentication of its own: whoever reaches it acts with its Warden token. A
// web page must not be that someone: through DNS rebinding (a name of the attacker's that resolves
// to 127.0.0.1: its requests carry the attacker's Host) or as a cross-origin request (its Origin).
import { createHash, timingSafeEqual } from "node:crypto";
import { isIP } from "node:net";

/** The `Host` values and browser origins the listener answers. */
export interface ListenerTrust {
  readonly hosts: ReadonlySet<string>;
  readonly origins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** `host:port` as a Host header carries it (IPv6 in brackets), lower case. */
export function hostHeader(host: string, port: number): string {
  return `${isIP(host) === 6 ? `[${host}]` : host}:${port}`.toLowerCase();
}

/** Whether a listen address serves this machine only. */
export function isLoopback(host: string): boolean {
  const bare = host.toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * The Host values the listener answers: the address it listens on, the loopback names when that
 * is loopback or every interface, and the names the operator allowed (`--allow-host`). Browser
 * origins: only the listener's own (it serves no page, so no other origin has business here).
 */
export function listenerTrust(
  host: string,
  port: number,
  allowHosts: readonly string[] = [],
): ListenerTrust {
  const wildcard = host === "0.0.0.0" || host === "::";
  const names = [
    ...(wildcard ? [] : [host]),
    ...(wildcard || isLoopback(host) ? LOOPBACK_NAMES : []),
    ...allowHosts,
  ];
  const bare = names.map((name) => name.replace(/^\[|\]$/g, ""));
  const hosts = new Set(bare.map((name) => hostHeader(name, port)));
  // On port 80 a client may leave the port out of Host.
  if (port === 80) for (const name of bare) hosts.add(hostHeader(name, port).slice(0, -3));
  const origins = new Set([...hosts].map((h) => `http://${h}`));
  return { hosts, origins };
}

/** A header value as the one string a check compares (absent or repeated: undefined). */
const single = (value: string | string[] | undefined) =>
  typeof value === "string" ? value : undefined;

/** Quotes an attacker's header for a log line: printable, bounded. */
const quoted = (value: string) => JSON.stringify(value.slice(0, 100));

/**
 * Why a request must be refused before anything serves it (403), or undefined: a `Host` the
 * listener does not answer to, or an `Origin` other than its own (a browser's cross-origin
 * request; `null` from sandboxed pages and files included).
 */
export function refusal(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  trust: ListenerTrust,
): string | undefined {
  const host = single(headers.host)?.toLowerCase();
  if (host === undefined || !trust.hosts.has(host))
    return `Host ${host === undefined ? "missing" : quoted(host)} is not this gateway's (DNS rebinding?)`;
  const origin = headers.origin;
  if (origin === undefined) return undefined;
  const value = single(origin);
  if (value === undefined || !trust.origins.has(value.toLowerCase()))
    return `Origin ${quoted(String(origin))} is not allowed (a web page's cross-origin request?)`;
  return undefined;
}

/**
 * A digest of the credentials a client presented (the headers passed upstream), which its MCP
 * session is bound to: a request in the session with other credentials is not served in it.
 */
export function credentialsDigest(headers: Headers): Buffer {
  const hash = createHash("sha256");
  for (const [name, value] of [...headers].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    hash.update(`${name}\0${value}\0`);
  return hash.digest();
}

/** Whether two credential digests are the same, in constant time. */
export const sameCredentials = (a: Buffer, b: Buffer) => timingSafeEqual(a, b);
