import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";
import { parsePolicyText } from "./load.ts";

const dir = new URL("../../../examples/policies/", import.meta.url).pathname;
const load = (name: string) =>
  parsePolicyText(readFileSync(join(dir, name), "utf8"), { file: name });

test.each(readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)))(
  "example policy %s loads and its examples hold",
  (name) => {
    expect(() => compilePolicy({ project: load(name) })).not.toThrow();
  },
);

test("the example tiers work together: a global deny beats a project allow", () => {
  const policy = compilePolicy({ global: load("global.yaml"), project: load("dev.yaml") });
  const read = (file_path: string) =>
    evaluate(policy, { toolName: "Read", input: { file_path } }, { cwd: "/repo", home: "/home/u" });
  expect(read("src/index.ts")).toMatchObject({ decision: "allow", tier: "project" });
  expect(read("src/.env")).toMatchObject({ decision: "deny", tier: "global" });
  const bash = (command: string) =>
    evaluate(policy, { toolName: "Bash", input: { command } }, { cwd: "/repo" });
  expect(bash("git push origin main")).toMatchObject({
    decision: "ask",
    rule: { pattern: "Bash(git push *)" },
  });
  expect(bash("git log")).toMatchObject({ decision: "allow" });
  expect(bash("npm install left-pad")).toMatchObject({ decision: "deny" });
  expect(() =>
    compilePolicy({ global: load("global.yaml"), session: { mode: "bypassPermissions" } }),
  ).toThrow(/forbidden/);
});
