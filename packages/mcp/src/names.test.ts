import { expect, test } from "vitest";
import { normalizeServerName, toolNameProblem, wardenToolName } from "./names.ts";

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

test.each([
  ["x_mcp__github__merge"],
  ["MCP__github__merge"],
  ["mcp__github__merge"],
  ["echo\nmcp__rec__echo"],
  ["read\u202efile"],
  ["read file"],
  ["рead_file"],
  [""],
  ["a".repeat(129)],
])("calls of a tool named %j are refused whatever the rules say", (tool) => {
  expect(toolNameProblem(tool)).toBeDefined();
});

test.each([["read_file"], ["get-issue"], ["v2.search"], ["a__b"], ["a".repeat(128)]])(
  "%j is an ordinary tool name",
  (tool) => {
    expect(toolNameProblem(tool)).toBeUndefined();
  },
);
