// What an actor's answer must not tell a caller: its key. Keys hold project and session names, and
// a caller that addresses an actor by id may hold nothing but the id (a refused one too). The
// engine names the key in an `x-rivet-actor-key` header, and RivetKit puts `actor: { actorId,
// key }` in every error body, in the caller's encoding (JSON, CBOR or BARE). The front drops the
// header from every answer and the `actor` field from every error body, and keeps the rest as the
// client reads it (its code, message and metadata, in the same encoding). An error body it cannot
// read is replaced, never passed on.

/** Answer headers that name an actor's key. */
const KEY_HEADERS = new Set(["x-rivet-actor-key"]);

/** Whether an answer header names the actor's key (and is dropped). */
export function isKeyHeader(name: string): boolean {
  return KEY_HEADERS.has(name.toLowerCase());
}

/** Error bodies are small; a longer one is not read whole, and is replaced. */
export const MAX_ERROR_BODY = 64 * 1024;

/** What replaces an error body the front cannot read: the client still gets a typed error. */
export const UNREADABLE_ERROR = {
  group: "guard",
  code: "actor_error",
  message: "the actor answered with an error",
} as const;

/** A scrubbed error body, or undefined when it could not be read (then it is replaced). */
export function scrubErrorBody(
  body: Buffer,
  contentType: string | undefined,
  requestEncoding: string | undefined,
): Buffer | undefined {
  try {
    if (contentType?.includes("application/json") || requestEncoding === undefined) {
      return scrubJson(body);
    }
    if (requestEncoding === "json") return scrubJson(body);
    if (requestEncoding === "cbor") return scrubCbor(body);
    if (requestEncoding === "bare") return scrubBare(body);
    return undefined;
  } catch {
    return undefined;
  }
}

function scrubJson(body: Buffer): Buffer | undefined {
  const value: unknown = JSON.parse(body.toString("utf8"));
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { actor: _actor, ...rest } = value as Record<string, unknown>;
  return Buffer.from(JSON.stringify(rest));
}

/** A CBOR map at the top, without its `actor` entry (every other byte kept as sent). */
function scrubCbor(body: Buffer): Buffer | undefined {
  const head = readHead(body, 0);
  if (head.major !== 5 || head.indefinite) return undefined;
  const kept: Buffer[] = [];
  let offset = head.end;
  for (let i = 0; i < head.value; i++) {
    const keyEnd = skipItem(body, offset, 0);
    const valueEnd = skipItem(body, keyEnd, 0);
    if (textAt(body, offset) !== "actor") kept.push(body.subarray(offset, valueEnd));
    offset = valueEnd;
  }
  if (offset !== body.length) return undefined;
  return Buffer.concat([mapHead(kept.length), ...kept]);
}

/**
 * RivetKit's `HttpResponseError` (client protocol v1–v4): a little-endian u16 version, then
 * group, code and message strings, optional metadata (CBOR bytes) and an optional actor, last. The
 * answer keeps everything before the actor and says "no actor".
 */
function scrubBare(body: Buffer): Buffer | undefined {
  let offset = 2;
  if (body.length < offset) return undefined;
  for (let i = 0; i < 3; i++) offset = skipBytes(body, offset);
  const hasMetadata = body[offset];
  if (hasMetadata === 1) offset = skipBytes(body, offset + 1);
  else if (hasMetadata === 0) offset += 1;
  else return undefined;
  if (offset >= body.length) return undefined;
  return Buffer.concat([body.subarray(0, offset), Buffer.from([0])]);
}

/** Skips a BARE `string` or `data`: a uvarint length, then that many bytes. */
function skipBytes(body: Buffer, start: number): number {
  let length = 0;
  let shift = 0;
  let offset = start;
  for (;;) {
    const byte = body[offset++];
    if (byte === undefined || shift > 28) throw new Error("truncated");
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) break;
    shift += 7;
  }
  const end = offset + length;
  if (end > body.length) throw new Error("truncated");
  return end;
}

interface Head {
  readonly major: number;
  readonly value: number;
  readonly indefinite: boolean;
  readonly end: number;
}

/** A CBOR item's initial byte and argument. */
function readHead(body: Buffer, offset: number): Head {
  const initial = body[offset];
  if (initial === undefined) throw new Error("truncated");
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (info < 24) return { major, value: info, indefinite: false, end: offset + 1 };
  if (info === 31) return { major, value: 0, indefinite: true, end: offset + 1 };
  const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
  if (size === 0 || offset + 1 + size > body.length) throw new Error("malformed");
  const value =
    size === 8 ? Number(body.readBigUInt64BE(offset + 1)) : body.readUIntBE(offset + 1, size);
  return { major, value, indefinite: false, end: offset + 1 + size };
}

const MAX_DEPTH = 64;

/** Where the CBOR item at `offset` ends. */
function skipItem(body: Buffer, offset: number, depth: number): number {
  if (depth > MAX_DEPTH) throw new Error("too deep");
  const head = readHead(body, offset);
  switch (head.major) {
    case 0:
    case 1:
      return head.end;
    case 7:
      // Simple values and floats: the argument is the value itself. A break here is misplaced.
      if (head.indefinite) throw new Error("misplaced break");
      return head.end;
    case 2:
    case 3:
      if (!head.indefinite) return within(body, head.end + head.value);
      return skipUntilBreak(body, head.end, depth, 1);
    case 4:
    case 5: {
      const perEntry = head.major === 5 ? 2 : 1;
      if (head.indefinite) return skipUntilBreak(body, head.end, depth, perEntry);
      let end = head.end;
      for (let i = 0; i < head.value * perEntry; i++) end = skipItem(body, end, depth + 1);
      return end;
    }
    case 6:
      return skipItem(body, head.end, depth + 1);
    default:
      throw new Error("malformed");
  }
}

function skipUntilBreak(body: Buffer, start: number, depth: number, perEntry: number): number {
  let end = start;
  while (body[end] !== 0xff) {
    for (let i = 0; i < perEntry; i++) end = skipItem(body, end, depth + 1);
  }
  return end + 1;
}

function within(body: Buffer, end: number): number {
  if (end > body.length) throw new Error("truncated");
  return end;
}

/** The text of a definite CBOR text string at `offset`, else undefined. */
function textAt(body: Buffer, offset: number): string | undefined {
  const head = readHead(body, offset);
  if (head.major !== 3 || head.indefinite) return undefined;
  return body.toString("utf8", head.end, head.end + head.value);
}

function mapHead(count: number): Buffer {
  if (count < 24) return Buffer.from([0xa0 | count]);
  if (count < 256) return Buffer.from([0xb8, count]);
  return Buffer.from([0xb9, count >> 8, count & 0xff]);
}
