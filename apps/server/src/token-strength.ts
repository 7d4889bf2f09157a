// A token is a password that never expires: outside WARDEN_DEV, refuse ones a guess could find.
import { StartError } from "./errors.ts";

/** The least a secret must have: length, distinct characters, and estimated bits. */
export const MIN_TOKEN_LENGTH = 24;
export const MIN_DISTINCT_CHARS = 10;
export const MIN_TOKEN_BITS = 120;

/** Bits of a random string over the character classes it uses (an upper bound for human ones). */
export function estimateBits(secret: string): number {
  const classes = [
    [/[a-z]/, 26],
    [/[A-Z]/, 26],
    [/[0-9]/, 10],
    [/[^a-zA-Z0-9]/, 32],
  ] as const;
  const alphabet = classes.reduce(
    (sum, [pattern, size]) => sum + (pattern.test(secret) ? size : 0),
    0,
  );
  return alphabet > 1 ? secret.length * Math.log2(alphabet) : 0;
}

/** Why a secret is weak, or undefined when it is strong enough. */
export function weakness(secret: string): string | undefined {
  if (secret.length < MIN_TOKEN_LENGTH) return `shorter than ${MIN_TOKEN_LENGTH} characters`;
  if (new Set(secret).size < MIN_DISTINCT_CHARS)
    return `fewer than ${MIN_DISTINCT_CHARS} distinct characters`;
  if (estimateBits(secret) < MIN_TOKEN_BITS) return `less than ${MIN_TOKEN_BITS} bits of entropy`;
  return undefined;
}

/**
 * Fails with `weak_token` when a secret is weak, naming where it came from (never its value).
 * @example requireStrongSecret(token.value, `the token of "alice" (from $APPROVER_TOKEN)`)
 */
export function requireStrongSecret(secret: string, what: string): void {
  const why = weakness(secret);
  if (why === undefined) return;
  throw new StartError(
    "weak_token",
    `${what} is too weak (${why}); use e.g. \`openssl rand -hex 32\` (weak tokens are allowed only with WARDEN_DEV=1)`,
  );
}
