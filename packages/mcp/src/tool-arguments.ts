// Arguments the gateway refuses before any decision: ones that Warden could not judge exactly as
// the server would receive them. Warden's transports rename a `__proto__` key (cbor-x writes it
// as `__proto_`), so the rules, the approver and the audit log would see other arguments than the
// server runs, and Warden refuses every reserved key (`RESERVED_KEYS`); and the Warden server refuses inputs past its size and nesting limits, which over
// the network showed as a connection failure retried until --unreachable-ms ran out.
import { MAX_INPUT_BYTES, MAX_INPUT_DEPTH, RESERVED_KEYS } from "@warden/server/protocol";

/**
 * Why these arguments cannot be put to Warden as they are (a reserved key anywhere, or more
 * than `MAX_INPUT_DEPTH` levels of nesting), or undefined. Iterative, and stops at the limit.
 */
export function argumentsProblem(input: Record<string, unknown>): string | undefined {
  const stack: [unknown, number][] = [[input, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (node === null || typeof node !== "object") continue;
    if (depth >= MAX_INPUT_DEPTH) return `the arguments nest deeper than ${MAX_INPUT_DEPTH} levels`;
    for (const key of Object.keys(node)) {
      if (RESERVED_KEYS.has(key))
        return `an argument is named ${key}, which Warden refuses (it cannot carry it as sent)`;
      stack.push([(node as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}

/** Why these arguments are too large for Warden to decide on, or undefined (an exact JSON length). */
export function argumentsTooLarge(input: Record<string, unknown>): string | undefined {
  const length = JSON.stringify(input).length;
  return length > MAX_INPUT_BYTES
    ? `the arguments take ${length} characters of JSON, more than Warden's ${MAX_INPUT_BYTES}`
    : undefined;
}
