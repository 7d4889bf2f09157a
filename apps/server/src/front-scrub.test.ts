// The key leaves an actor's error body in every encoding RivetKit's client reads; the rest stays
// byte for byte, and a body that cannot be read is not passed on. The real engine's answers are
// checked in packages/server/tests/attacks.test.ts ("an actor addressed by id names no key").
import { describe, expect, test } from "vitest";
import { isKeyHeader, scrubErrorBody } from "./front-scrub.ts";

const text = (value: string) => {
  const bytes = Buffer.from(value);
  if (bytes.length >= 24) throw new Error("short strings only");
  return Buffer.concat([Buffer.from([0x60 | bytes.length]), bytes]);
};
const uvarintString = (value: string) => {
  const bytes = Buffer.from(value);
  return Buffer.concat([Buffer.from([bytes.length]), bytes]);
};

describe("scrubErrorBody", () => {
  test("JSON: the actor field goes, the rest stays", () => {
    const body = Buffer.from(
      JSON.stringify({
        group: "user",
        code: "forbidden",
        message: "no",
        metadata: { a: 1 },
        actor: { actorId: "id", key: ["p1", "secret"], generation: 0 },
      }),
    );
    const scrubbed = scrubErrorBody(body, "application/json", "json");
    expect(JSON.parse(String(scrubbed))).toEqual({
      group: "user",
      code: "forbidden",
      message: "no",
      metadata: { a: 1 },
    });
  });

  test("CBOR: the actor entry goes, every other entry stays as sent", () => {
    const entries = [
      [text("group"), text("user")],
      [text("code"), text("forbidden")],
      // metadata: { n: 300, list: [true, null] }, then the actor
      [
        text("metadata"),
        Buffer.concat([
          Buffer.from([0xa2]),
          text("n"),
          Buffer.from([0x19, 0x01, 0x2c]),
          text("list"),
          Buffer.from([0x82, 0xf5, 0xf6]),
        ]),
      ],
      [
        text("actor"),
        Buffer.concat([
          Buffer.from([0xa1]),
          text("key"),
          Buffer.from([0x82]),
          text("p1"),
          text("secret"),
        ]),
      ],
    ];
    const body = Buffer.concat([Buffer.from([0xa4]), ...entries.flat()]);
    const scrubbed = scrubErrorBody(body, "application/octet-stream", "cbor");
    expect(scrubbed).toEqual(Buffer.concat([Buffer.from([0xa3]), ...entries.slice(0, 3).flat()]));
  });

  test("BARE: the answer says no actor, everything before it stays", () => {
    const head = Buffer.concat([
      Buffer.from([0x04, 0x00]),
      uvarintString("user"),
      uvarintString("forbidden"),
      uvarintString("no"),
      Buffer.from([0x01, 0x01, 0xf6]), // metadata: CBOR null
    ]);
    const actor = Buffer.concat([
      Buffer.from([0x01]),
      uvarintString("id"),
      uvarintString("secret"),
    ]);
    const scrubbed = scrubErrorBody(
      Buffer.concat([head, actor]),
      "application/octet-stream",
      "bare",
    );
    expect(scrubbed).toEqual(Buffer.concat([head, Buffer.from([0x00])]));
  });

  test.each([
    ["JSON that is not an object", "[1]", "json"],
    ["text", "Not Found secret", "json"],
    ["truncated CBOR", "\xa2\x65group", "cbor"],
    ["a CBOR array", "\x80", "cbor"],
    ["truncated BARE", "\x04\x00\x04us", "bare"],
    ["an unknown encoding", "{}", "msgpack"],
  ])("%s is not read, and so not passed on", (_name, body, encoding) => {
    expect(scrubErrorBody(Buffer.from(body, "latin1"), undefined, encoding)).toBeUndefined();
  });

  test("the key header is dropped whatever its casing", () => {
    expect(isKeyHeader("x-rivet-actor-key")).toBe(true);
    expect(isKeyHeader("X-Rivet-Actor-Key")).toBe(true);
    expect(isKeyHeader("x-rivet-ray-id")).toBe(false);
  });
});
