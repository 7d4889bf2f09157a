import { describe, expect, test } from "vitest";
import { sedEffects } from "./sed.ts";

describe("sedEffects", () => {
  test.each([
    "p",
    "s/a/b/g",
    "s|a/b|c|2p",
    "1~3d;$!N;s/\\n/ /",
    "/start/,+3p",
    "/x/I,/y/M{p;q}",
    "1!G;h;$!d",
    "y/abc/xyz/",
    "r README.md",
    ":a;N;$!ba;s/\\n//g",
    "#n\np",
    "a foo;e pwn",
    "r x;e pwn",
  ])("%j runs nothing and writes nothing", (script) => {
    expect(sedEffects(script)).toEqual({ runs: false, writes: [] });
  });

  test.each([
    "e pwn",
    "1e pwn",
    "s/.*/pwn/e",
    "s/a/b/2e",
    "s/x/y/;  e pwn",
    "\\,R,e pwn",
    "v;e pwn",
    "{e pwn\n}",
    "s|[|]|x|e",
    ":a;e pwn",
    "l 5;e pwn",
  ])("%j runs a command", (script) => {
    expect(sedEffects(script).runs).toBe(true);
  });

  test("a script it cannot read counts as running a command", () => {
    for (const script of ["s/a/b", "k", "/unclosed", "s"]) {
      expect(sedEffects(script).runs).toBe(true);
    }
  });

  test("w, W and the w flag of s name the files written", () => {
    expect(sedEffects("/x/w hits.txt\ns/a/b/w changed.txt\n1W first.txt")).toEqual({
      runs: false,
      writes: ["hits.txt", "changed.txt", "first.txt"],
    });
  });
});
