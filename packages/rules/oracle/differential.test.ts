import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { compilePolicy } from "../src/compile.ts";
import { evaluate } from "../src/evaluate.ts";
import type { Behavior } from "../src/schema.ts";
import { analyzeShell } from "../src/shell/index.ts";
import { BASH_ORACLE_BYPASSES, DENIED_RM_CORPUS } from "./corpus.ts";
import { Sandbox, type SnippetRun, shellQuote } from "./sandbox.ts";
import { snippet } from "./snippets.ts";

/**
 * The shell analysis checked against bash itself: every generated snippet the engine auto-allows
 * under a fixed policy is run by the real bash, and must start no program the policy does not
 * allow, as bash really invoked it; the opposite direction checks a fixed corpus of commands a
 * deny rule catches really would run the denied program.
 */

const SEED = Number(process.env.WARDEN_BASH_SEED ?? 20_261_203);
/** Generated snippets per run: the allowed ones among them are run by bash. */
const RUNS = Number(process.env.WARDEN_BASH_RUNS ?? 8000);
const PARALLEL = Number(process.env.WARDEN_BASH_PARALLEL ?? 3);

const ALLOWED = [
  "ls",
  "ls *",
  "cat *",
  "head *",
  "wc *",
  "echo *",
  "printf *",
  "true",
  ":",
  "f",
  "f *",
  "read *",
  "declare *",
  "export *",
  "readonly *",
  "local *",
  "unset *",
  "let *",
  "test *",
  "mapfile *",
  "readarray *",
  "getopts *",
  "wait",
  "wait *",
  "compgen *",
  "set *",
  "select *",
  // Programs whose arguments can run a program or write a file: allowed with any arguments, so
  // only the analysis stands between `sed 'e pwn'` and pwn.
  "sed *",
  "awk *",
  "sort *",
  "tar *",
  "find *",
  "git *",
  "enable *",
  "hash *",
  "shopt *",
  // Builtins that run a command or keep code for later, and programs that take code in an
  // argument or run a package's program: the analysis must see what they run.
  "jobs *",
  "fc *",
  "trap *",
  "complete *",
  "bind *",
  "history *",
  "cd *",
  "pushd *",
  "popd *",
  "dirs *",
  "make *",
  "perl *",
  "python3 *",
  "node *",
  "gdb *",
  "yq *",
  "jq *",
  "npx *",
  "npm *",
  "setarch *",
  "prlimit *",
  "sqlite3 *",
  "tclsh *",
  "uniq *",
  "xxd *",
  "shuf *",
  "iconv *",
  "gcc *",
  "go *",
  "cargo *",
  "kubectl *",
  // `exec` with redirections only: it reopens the shell's descriptors for later commands.
  "exec",
  // Named only by the fixed corpus: programs that are not on the sandbox's PATH.
  "vim *",
  "man *",
  "zip *",
  "lua *",
  "rsync *",
];

const policy = compilePolicy({
  project: {
    default_behavior: "ask",
    rules: [
      ...ALLOWED.map((glob) => ({ tool: `Bash(${glob})`, behavior: "allow" as const })),
      { tool: "Bash(rm *)", behavior: "deny" },
    ],
  },
});

function decide(command: string): Behavior {
  return evaluate(policy, { toolName: "Bash", input: { command } }, { cwd: "/work" }).decision;
}

/**
 * The files a snippet's allowed programs put in place as their job (`sqlite3 db`, `cp a b`): the
 * rule for the program grants them, and protected paths still see them.
 */
function placedBy(line: string): Set<string> {
  const placed = analyzeShell(line).writes.filter((write) => write.placed && !write.dynamic);
  return new Set(placed.map((write) => write.path.replace(/^(?:\.\/|\/work\/)/, "")));
}

/** What bash did that the policy never allowed, as readable lines; empty when nothing. */
function violations(sandbox: Sandbox, run: SnippetRun, line = ""): string[] {
  const granted = placedBy(line);
  const found: string[] = [];
  for (const exec of run.execs) {
    // A program named like a reserved word (`time`) is a command when bash started it.
    const program = exec.program === "time" ? "\\time" : shellQuote(exec.program);
    const line = [program, ...exec.args.map(shellQuote)].join(" ");
    if (sandbox.binOf(exec) === "other") found.push(`ran ${exec.path} (outside PATH's stubs)`);
    else if (decide(line) !== "allow")
      found.push(`ran \`${line}\`, which the policy does not allow`);
  }
  for (const file of run.created) {
    if (!granted.has(file)) found.push(`created ${file} (a write nobody checked)`);
  }
  for (const file of run.removed) found.push(`removed ${file}`);
  for (const file of run.modified) {
    if (!granted.has(file)) found.push(`modified ${file} (a write nobody checked)`);
  }
  return found;
}

let sandbox: Sandbox;

async function runBoth(line: string): Promise<string[]> {
  const plain = await sandbox.run(line);
  const extglob = await sandbox.run(line, { extglob: true });
  return [...violations(sandbox, plain, line), ...violations(sandbox, extglob, line)];
}
beforeAll(() => {
  sandbox = new Sandbox(PARALLEL);
});
afterAll(() => sandbox?.dispose());

describe("the shell analysis against bash 5", () => {
  test("the harness sees a bypass when there is one", async () => {
    const bypasses = "x='$(pwn)'; ls $" + "{x@P}; PATH=evil:$PATH; ls; echo > canary";
    const run = await sandbox.run(bypasses);
    expect(violations(sandbox, run)).toEqual([
      "ran `pwn`, which the policy does not allow",
      "ran evil/ls (outside PATH's stubs)",
      "created canary (a write nobody checked)",
    ]);
  });

  test("a file an allowed program places as its job is granted; a write through its SQL is not", async () => {
    const placing = "sqlite3 out 'create table t(x)'";
    const run = await sandbox.run(placing);
    expect(run.created).toEqual(["out"]);
    expect(violations(sandbox, run, placing)).toEqual([]);
    const vacuum = "sqlite3 :memory: \"vacuum into 'out'\"";
    expect(violations(sandbox, await sandbox.run(vacuum), vacuum)).toContain(
      "created out (a write nobody checked)",
    );
  });

  test.each(BASH_ORACLE_BYPASSES)("a bypass found by the oracle stays closed: %s", async (line) => {
    expect(decide(line)).not.toBe("allow");
  });

  test(
    `generated snippets the engine allows run nothing else (${RUNS} generated)`,
    async () => {
      const samples = fc.sample(snippet, { seed: SEED, numRuns: RUNS });
      const allowed = samples.flatMap((line, index) => (decide(line) === "allow" ? [index] : []));
      // Every other snippet runs with extglob on, as agents' shells often have it.
      const runs = await Promise.all(
        allowed.map((index) => sandbox.run(samples[index]!, { extglob: index % 2 === 1 })),
      );
      const failing = allowed.filter(
        (index, at) => violations(sandbox, runs[at]!, samples[index]!).length > 0,
      );
      const ranPrograms = runs.filter((run) => run.execs.length > 0).length;
      console.info(
        `bash oracle: ${RUNS} generated, ${allowed.length} allowed and run by bash ` +
          `(${ranPrograms} started a program, ${runs.filter((r) => r.timedOut).length} timed out), ` +
          `${failing.length} ran something the policy does not allow`,
      );
      // The generator must keep reaching bash: a change that asks for everything proves nothing.
      expect(allowed.length).toBeGreaterThan(RUNS / 10);
      expect(ranPrograms).toBeGreaterThan(allowed.length / 4);
      if (failing.length === 0) return;

      // Replay the same sequence up to the first failure, then let fast-check shrink it.
      const first = failing[0]!;
      let seen = 0;
      const report = await fc.check(
        fc.asyncProperty(snippet, async (line) => {
          if (seen++ < first) return true;
          if (decide(line) !== "allow") return true;
          return (await runBoth(line)).length === 0;
        }),
        { seed: SEED, numRuns: first + 1 },
      );
      const shrunk = report.counterexample?.[0] ?? samples[first]!;
      const detail = await runBoth(shrunk);
      const all = failing.map((index) => `  ${JSON.stringify(samples[index])}`).join("\n");
      expect.fail(
        `bash ran what the engine allowed but the policy does not:\n` +
          `shrunk: ${JSON.stringify(shrunk)}\n  ${detail.join("\n  ")}\n` +
          `all ${failing.length} failing snippets:\n${all}`,
      );
    },
    Math.max(120_000, RUNS * 30),
  );

  test("the sandbox logs every program of a pipeline, whole, however their writes interleave", async () => {
    // The oracle's own check: programs of a pipeline run at once and append to one log.
    const line = "cat README.md | rm victim | cat x y z";
    const runs = await Promise.all(Array.from({ length: 200 }, () => sandbox.run(line)));
    for (const run of runs) {
      expect(run.execs.map((exec) => [exec.program, ...exec.args]).sort()).toEqual([
        ["cat", "README.md"],
        ["cat", "x", "y", "z"],
        ["rm", "victim"],
      ]);
    }
  });

  test.each(DENIED_RM_CORPUS)("`%s` is denied and really runs rm", async (line) => {
    expect(decide(line)).toBe("deny");
    const run = await sandbox.run(line);
    const ranRm = run.execs.some((exec) => exec.program === "rm") || run.removed.includes("victim");
    expect(ranRm).toBe(true);
  });
});
