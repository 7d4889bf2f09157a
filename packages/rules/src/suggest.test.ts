import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
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

describe("an always suggestion allows the call it was made for", () => {
  const word = fc.oneof(
    fc.stringMatching(/^[a-z0-9=~!.:/?&@%+*-]{1,6}$/),
    fc.stringMatching(/^[a-z0-9 =~'*]{1,6}$/).map((w) => `"${w}"`),
    fc.stringMatching(/^[a-z0-9 ="*]{1,6}$/).map((w) => `'${w}'`),
  );
  test("for any simple command, the exact suggestion compiles and allows it", () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/),
        fc.array(word, { maxLength: 4 }),
        (program, args) => {
          const command = [program, ...args].join(" ");
          const call = { toolName: "Bash", input: { command } };
          const [exact] = suggestRules(call, { cwd: "/repo" });
          if (!exact) return; // the analysis was uncertain: nothing is suggested
          const policy = compilePolicy({
            project: {
              rules: exact.patterns.map((tool) => ({ tool, behavior: "allow" as const })),
            },
          });
          expect(
            evaluate(policy, call, { cwd: "/repo" }).decision,
            exact.patterns.join(" ; "),
          ).toBe("allow");
        },
      ),
      { numRuns: 1500 },
    );
  });

  test.each(['WebFetch:https://x.example/search?q="a"', "WebFetch:https://x.example/?a=b"])(
    "%s",
    (spec) => {
      const [toolName, url] = [spec.slice(0, spec.indexOf(":")), spec.slice(spec.indexOf(":") + 1)];
      const call = { toolName, input: { url } };
      for (const suggestion of suggestRules(call)) {
        const policy = compilePolicy({
          project: {
            rules: suggestion.patterns.map((tool) => ({ tool, behavior: "allow" as const })),
          },
        });
        expect(evaluate(policy, call).decision).toBe("allow");
      }
    },
  );
});
