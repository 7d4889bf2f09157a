import { describe, expect, test } from "vitest";
import { parseEditedInput } from "../src/approve/edit-input.ts";

describe("parseEditedInput", () => {
  test("an object is the input", () => {
    expect(parseEditedInput('{"command":"ls \\u202e"}')).toEqual({
      ok: true,
      input: { command: "ls \u202e" },
    });
  });

  test.each([
    ['{"command":"ls","__proto__":{"isAdmin":true}}', "__proto__"],
    ['{"a":[{"constructor":{"prototype":1}}]}', "constructor"],
    ['{"a":{"prototype":1}}', "prototype"],
  ])("%s is refused, not sent with the key dropped", (text, key) => {
    expect(parseEditedInput(text)).toEqual({
      ok: false,
      error: `not allowed: input holds the key ${key}, which is not allowed`,
    });
  });

  test("too deep is refused", () => {
    const deep = `${"[".repeat(200)}${"]".repeat(200)}`;
    expect(parseEditedInput(`{"a":${deep}}`)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^not allowed: input nests deeper than \d+ levels$/),
    });
  });

  test("not an object is refused", () => {
    expect(parseEditedInput("[1]")).toEqual({
      ok: false,
      error: "the input must be a JSON object",
    });
    expect(parseEditedInput("{oops").ok).toBe(false);
  });
});
