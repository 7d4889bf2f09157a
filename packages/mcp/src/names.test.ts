import { expect, test } from "vitest";
import { normalizeServerName, wardenToolName } from "./names.ts";

test.each([
  ["github", "github"],
  ["GitHub MCP Server", "github_mcp_server"],
  ["secure-filesystem-server", "secure-filesystem-server"],
  ["a__b", "a_b"],
  ["__x__", "x"],
  ["ＦＵＬＬ", "full"],
  ["", "server"],
  ["!!!", "server"],
])("normalizeServerName(%j) is %j", (name, expected) => {
  expect(normalizeServerName(name)).toBe(expected);
});

test("a normalised name never contains the separator, so the server part of a tool name is unambiguous", () => {
  for (const name of ["a__b__c", "mcp__x", "x___y"])
    expect(normalizeServerName(name)).not.toContain("__");
  expect(wardenToolName("fs", "read_file")).toBe("mcp__fs__read_file");
});
