import { describe, expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { suggestRules } from "./suggest.ts";

describe("suggestRules", () => {
  test("a file under a home directory: the directory-wide suggestion says it is broad and why", () => {
    const [file, dir] = suggestRules(
      { toolName: "Edit", input: { file_path: "/home/dev/notes.md" } },
      { cwd: "/home/dev/project", home: "/home/dev" },
    );
    expect(file).toMatchObject({ breadth: "narrow" });
    expect(dir).toMatchObject({
      patterns: ['Edit(file_path ~ "/home/dev/**")'],
      breadth: "danger",
      warnings: expect.arrayContaining([expect.objectContaining({ code: "home_directory" })]),
    });
  });

  test("git push: the exact command is narrow, `git push *` is not (it covers --force)", () => {
    const [exact, prefix] = suggestRules({
      toolName: "Bash",
      input: { command: "git push origin main" },
    });
    expect(exact).toMatchObject({ patterns: ["Bash(git push origin main)"], breadth: "narrow" });
    expect(prefix).toMatchObject({
      patterns: ["Bash(git push)", "Bash(git push *)"],
      breadth: "danger",
      warnings: [expect.objectContaining({ code: "dangerous_flags" })],
    });
  });

  const askPolicy = (precedence: "deny-ask-allow" | "deny-allow-ask") =>
    compilePolicy({
      project: { precedence, rules: [{ tool: "Bash(git push *)", behavior: "ask" }] },
    });
  const push = { toolName: "Bash", input: { command: "git push origin main" } };

  test("no always suggestion when an ask rule outranks allow rules (deny-ask-allow)", () => {
    expect(suggestRules(push, {}, askPolicy("deny-ask-allow"))).toEqual([]);
    // Nor for one part of a compound command.
    const compound = { toolName: "Bash", input: { command: "npm test && git push" } };
    expect(suggestRules(compound, {}, askPolicy("deny-ask-allow"))).toEqual([]);
  });

  test("under deny-allow-ask an allow rule beats the ask rule, so suggestions are offered", () => {
    expect(suggestRules(push, {}, askPolicy("deny-allow-ask")).length).toBeGreaterThan(0);
    const other = { toolName: "Bash", input: { command: "npm test" } };
    expect(suggestRules(other, {}, askPolicy("deny-ask-allow")).length).toBeGreaterThan(0);
  });

  test("no always suggestion for a protected path that asks whatever the rules say", () => {
    const policy = compilePolicy({ project: { mode: "bypassPermissions" } });
    const call = { toolName: "Edit", input: { file_path: "/repo/.git/config" } };
    expect(suggestRules(call, { cwd: "/repo" }, policy)).toEqual([]);
  });
});
