// Whether the server will accept a call's input (its JSON length and nesting), decided on the
// fast path's hot path. The exact check (`JSON.stringify` plus a depth walk) costs more than the
// rest of a local decision; one walk that bounds the JSON length from above settles the usual
// small input, and anything it cannot bound cheaply gets the exact check.
import {
  MAX_INPUT_BYTES,
  MAX_INPUT_DEPTH,
  nestsDeeperThan,
  RESERVED_KEYS,
  reservedKeyIn,
} from "@warden/server/protocol";

/** JSON characters a number takes at most (`-1.2345678901234567e-308`). */
const NUMBER_CHARS = 25;

/**
 * An upper bound of `JSON.stringify(input).length` when the input is plain data (plain objects and
 * arrays of strings, numbers, booleans, null and undefined) within the depth limit and the bound
 * stays within `limit`; `undefined` otherwise (deeper, larger, or not plain: a `toJSON`, a class
 * instance, a bigint, a function), when only the exact check can tell.
 */
export function boundInputChars(input: unknown, limit: number): number | undefined {
  // A string's JSON is at most 6 characters per UTF-16 unit (`\u001f`) plus the quotes.
  let bound = 0;
  const stack: [unknown, number][] = [[input, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    switch (typeof node) {
      case "string":
        bound += 6 * node.length + 3;
        break;
      case "number":
        bound += NUMBER_CHARS + 1;
        break;
      case "boolean":
      case "undefined":
        bound += 6;
        break;
      case "object": {
        if (node === null) {
          bound += 5;
          break;
        }
        // nestsDeeperThan's rule: an object or array at depth `MAX_INPUT_DEPTH` is too deep.
        if (depth >= MAX_INPUT_DEPTH) return undefined;
        if (typeof (node as { toJSON?: unknown }).toJSON === "function") return undefined;
        const proto = Object.getPrototypeOf(node);
        if (Array.isArray(node)) {
          // A sparse array, or one with named properties, walks differently from its JSON.
          if (proto !== Array.prototype || Object.keys(node).length !== node.length)
            return undefined;
          bound += 2 + node.length;
          if (bound > limit) return undefined;
          for (let i = 0; i < node.length; i++) stack.push([node[i], depth + 1]);
        } else {
          if (proto !== Object.prototype && proto !== null) return undefined;
          bound += 2;
          for (const key of Object.keys(node)) {
            if (RESERVED_KEYS.has(key)) return undefined;
            bound += 6 * key.length + 4;
            stack.push([(node as Record<string, unknown>)[key], depth + 1]);
          }
        }
        break;
      }
      default:
        return undefined;
    }
    if (bound > limit) return undefined;
  }
  return bound;
}

/**
 * Whether the server accepts this input as it is (within `MAX_INPUT_BYTES` characters of JSON and
 * `MAX_INPUT_DEPTH` levels, with no reserved key such as `__proto__` anywhere) and the SDK may
 * decide it locally. Throws what `JSON.stringify` throws (a bigint, a cycle).
 */
export function inputWithinLimits(input: Record<string, unknown>): boolean {
  if (boundInputChars(input, MAX_INPUT_BYTES) !== undefined) return true;
  return (
    JSON.stringify(input).length <= MAX_INPUT_BYTES &&
    !nestsDeeperThan(input, MAX_INPUT_DEPTH) &&
    reservedKeyIn(input) === undefined
  );
}

/**
 * Why the server would refuse this input (its size, nesting or a reserved key), or `undefined`: the SDK refuses
 * such a call at once. Sent, a message past RivetKit's limit fails at the transport, which cannot
 * tell it from a dropped connection, and the call was retried until its deadline.
 */
export function inputRefusal(input: Record<string, unknown>): string | undefined {
  if (boundInputChars(input, MAX_INPUT_BYTES) !== undefined) return undefined;
  if (nestsDeeperThan(input, MAX_INPUT_DEPTH))
    return `input nests deeper than ${MAX_INPUT_DEPTH} levels`;
  let json: string;
  try {
    json = JSON.stringify(input);
  } catch (error) {
    return `input is not JSON: ${(error as Error).message}`;
  }
  if (json === undefined || json.length > MAX_INPUT_BYTES)
    return `input is larger than ${MAX_INPUT_BYTES} bytes of JSON`;
  // The server refuses these (the transport would rename or drop them): so does the SDK, at once.
  const key = reservedKeyIn(input);
  if (key !== undefined) return `input holds the key ${key}, which is not allowed`;
  return undefined;
}
