import { compilePolicy, policySource } from "@warden/rules";
import { expect, test } from "vitest";
import { annotateTools } from "./tool-list.ts";
import { toolVerdict } from "./tool-verdicts.ts";

const policy = compilePolicy({
  project: policySource({
    default_behavior: "ask",
    rules: [
      { tool: "mcp__fs__list_allowed_directories", behavior: "allow" },
      { tool: 'mcp__fs__read_text_file(path ~ "*/**")', behavior: "allow" },
      { tool: "mcp__fs__write_file", behavior: "ask" },
      { tool: "mcp__fs__move_file", behavior: "deny" },
      { tool: "mcp__gh__*", behavior: "allow" },
      { tool: 'mcp__gh__*(repo = "secret")', behavior: "deny" },
    ],
  }),
});

test.each([
  ["mcp__fs__list_allowed_directories", "allow"],
  ["mcp__fs__write_file", "ask"],
  ["mcp__fs__move_file", "deny"],
  // Conditions make the verdict depend on the arguments.
  ["mcp__fs__read_text_file", "depends"],
  // An allow that a conditional deny may override is not an allow for every call.
  ["mcp__gh__get_issue", "depends"],
  // No rule settles it (the default does): "depends", conservatively.
  ["mcp__other__tool", "depends"],
])("%s: %s", (tool, verdict) => {
  expect(toolVerdict(policy, tool)).toBe(verdict);
});

test("plan mode denies write tools outright, whatever the arguments", () => {
  const plan = compilePolicy({
    project: policySource({
      mode: "plan",
      tools: { mcp__fs__write_file: { primary: "path", kind: "write" } },
      rules: [{ tool: "mcp__fs__*", behavior: "allow" }],
    }),
  });
  expect(toolVerdict(plan, "mcp__fs__write_file")).toBe("deny");
});

test("annotateTools hides only outright denials, and keeps every field of the others", () => {
  const tools = [
    { name: "a", inputSchema: { type: "object" as const }, title: "A", description: "Does a." },
    { name: "b", inputSchema: { type: "object" as const } },
    { name: "c", inputSchema: { type: "object" as const }, _meta: { own: 1 } },
  ];
  const verdicts = { a: "ask", b: "deny", c: "allow" } as const;
  const shown = annotateTools(tools, (name) => verdicts[name as keyof typeof verdicts], {
    hideDenied: true,
  });
  expect(shown.map((t) => t.name)).toEqual(["a", "c"]);
  expect(shown[0]).toMatchObject({ title: "A", _meta: { "warden/policy": "ask" } });
  expect(shown[0]?.description).toMatch(/^Does a\.\n\n.*approve/);
  expect(shown[1]).toEqual({ ...tools[2], _meta: { own: 1, "warden/policy": "allow" } });
  const all = annotateTools(tools, (name) => verdicts[name as keyof typeof verdicts], {
    hideDenied: false,
  });
  expect(all.find((t) => t.name === "b")?._meta?.["warden/policy"]).toBe("deny");
});
