import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { POLICY_CASES, type PolicyCase } from "@warden/rules/cases";
import { beforeAll, describe, expect, test } from "vitest";
import { type CliResult, parseLines, spawnCli } from "./cli.ts";

// eval takes one document, so cases with extra tiers run only against the engine.
const cases = POLICY_CASES.filter((policyCase) => policyCase.tiers === undefined);

function expectCase(answer: { decision?: string; rule?: unknown }, policyCase: PolicyCase) {
  expect(answer.decision).toBe(policyCase.expect.decision);
  if (policyCase.expect.rule !== undefined) expect(answer.rule).toBe(policyCase.expect.rule);
}

describe("the shared policy cases through `warden eval --jsonl`", () => {
  let result: CliResult;
  let answers: { id?: unknown; decision?: string; rule?: unknown }[];

  beforeAll(async () => {
    const input = cases
      .map((c, id) =>
        JSON.stringify({
          id,
          policy: c.policy,
          tool: c.tool,
          input: c.input,
          ...(c.context ? { context: c.context } : {}),
        }),
      )
      .join("\n");
    result = await spawnCli(["eval", "--jsonl"], `${input}\n`);
    answers = parseLines(result.stdout) as typeof answers;
  });

  test("one line answers each case, in order, and nothing else is written", () => {
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(answers.map((answer) => answer.id)).toEqual(cases.map((_, id) => id));
  });

  test.each(cases.map((c, id) => [c.name, c, id] as const))("%s", (_name, policyCase, id) => {
    expectCase(answers[id]!, policyCase);
  });
});

const CHECKED = [
  "awaken: deny beats allow (firewall order)",
  "awaken: unmatched falls to default",
  "compound: a denied part denies",
  "absolute path inside cwd matches relative glob",
  "tilde expands to home",
  "home unknown: a deny rule with ~ still catches /Users/bob/.ssh/id_rsa",
  "home unknown: an allow rule with ~ matches nothing",
  "grammar: a quoted command glob matches the command without its quotes",
];

describe("a few shared policy cases through `warden check --json`", () => {
  const dir = mkdtempSync(join(tmpdir(), "warden-cli-cases-"));

  test.concurrent.each(CHECKED)("%s", async (name) => {
    const policyCase = POLICY_CASES.find((c) => c.name === name);
    if (!policyCase) throw new Error(`no policy case named ${name}`);
    const file = join(dir, `${CHECKED.indexOf(name)}.json`);
    writeFileSync(file, JSON.stringify(policyCase.policy));
    const { cwd, home } = policyCase.context ?? {};
    const result = await spawnCli([
      "check",
      "--policy",
      file,
      "--tool",
      policyCase.tool,
      "--input",
      JSON.stringify(policyCase.input),
      ...(cwd ? ["--cwd", cwd] : []),
      ...(home ? ["--home", home] : []),
      "--json",
    ]);
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout);
    expectCase({ decision: output.decision, rule: output.rule?.pattern ?? null }, policyCase);
  });
});
