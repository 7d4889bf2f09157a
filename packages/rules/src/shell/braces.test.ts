import { describe, expect, test } from "vitest";
import { expandBraces } from "./braces.ts";

describe("expandBraces", () => {
  test("a comma group expands to each alternative", () => {
    expect(expandBraces("{rm,-rf,/}")).toEqual(["rm", "-rf", "/"]);
  });

  test("prefixes, suffixes and nested groups expand", () => {
    expect(expandBraces("a{b,{c,d}}e")).toEqual(["abe", "ace", "ade"]);
  });

  test("parameter expansions and sequences are left alone", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
    expect(expandBraces("${x}")).toEqual(["${x}"]);
    expect(expandBraces("{1..3}")).toEqual(["{1..3}"]);
  });

  test("expansion is capped", () => {
    expect(expandBraces("{a,b}{c,d}{e,f}{g,h}{i,j}{k,l}{m,n}").length).toBe(64);
  });
});
