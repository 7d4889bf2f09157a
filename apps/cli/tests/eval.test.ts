import { Readable, Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { run } from "../src/main.ts";
import { parseLines, runCli, spawnCli } from "./cli.ts";

const allowLs = { rules: [{ tool: "Bash(ls)", behavior: "allow" }] };
const line = (value: unknown) => `${JSON.stringify(value)}\n`;

describe("warden eval --jsonl", () => {
  test("answers every line in order: decisions, policy errors, bad JSON and bad input", async () => {
    const input = [
      line({ id: 1, policy: allowLs, tool: "Bash", input: { command: "ls" } }),
      line({
        id: "bad",
        policy: { rules: [{ tool: "Bash(npm *", behavior: "allow" }] },
        tool: "Bash",
        input: {},
      }),
      "\n",
      "{not json\n",
      line({ id: 4, policy: allowLs, input: {} }),
      line({
        id: 5,
        policy: allowLs,
        tool: "Bash",
        input: { command: "ls && rm x" },
        context: { cwd: "/r" },
      }),
      "   \n",
      line({ id: 6, policy: { mode: "sideways" }, tool: "Bash", input: {} }),
      line({ policy: allowLs, tool: "Read", input: {} }),
    ].join("");
    const result = await runCli(["eval", "--jsonl"], input);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const output = parseLines(result.stdout);
    expect(output).toEqual([
      { id: 1, decision: "allow", rule: "Bash(ls)" },
      {
        id: "bad",
        error: {
          code: "invalid_pattern",
          message: expect.stringContaining("rule 0, column 11: expected ')'"),
        },
      },
      { id: null, error: { code: "invalid_json", message: expect.stringMatching(/^line 4: /) } },
      {
        id: 4,
        error: { code: "invalid_input", message: expect.stringMatching(/^line 5: tool: /) },
      },
      { id: 5, decision: "ask", rule: null },
      { id: 6, error: { code: "invalid_document", message: expect.stringContaining("mode") } },
      { id: null, decision: "ask", rule: null },
    ]);
  });

  test("a trailing line without a newline is answered; empty input writes nothing", async () => {
    const last = await runCli(
      ["eval", "--jsonl"],
      JSON.stringify({ id: 1, policy: allowLs, tool: "Bash", input: { command: "ls" } }),
    );
    const empty = await runCli(["eval", "--jsonl"], "");
    expect(parseLines(last.stdout)).toEqual([{ id: 1, decision: "allow", rule: "Bash(ls)" }]);
    expect(empty).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  test("waits for drain when stdout is slow instead of buffering everything", async () => {
    const highWaterMark = 256;
    let maxBuffered = 0;
    const received: Buffer[] = [];
    const stdout = new Writable({
      highWaterMark,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        setTimeout(callback, 0);
      },
    });
    const write = stdout.write.bind(stdout);
    stdout.write = ((chunk: string) => {
      const ok = write(chunk);
      maxBuffered = Math.max(maxBuffered, stdout.writableLength);
      return ok;
    }) as typeof stdout.write;
    const count = 300;
    const input = Array.from({ length: count }, (_, id) =>
      line({ id, policy: allowLs, tool: "Bash", input: { command: "ls" } }),
    ).join("");
    const code = await run(["eval", "--jsonl"], {
      stdin: Readable.from([input]),
      stdout,
      stderr: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    await new Promise((resolve) => stdout.end(resolve));
    expect(code).toBe(0);
    const ids = parseLines(Buffer.concat(received).toString()).map((o) => (o as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: count }, (_, id) => id));
    // Without waiting for 'drain', all 300 lines (~13 kB) would sit in the buffer at once.
    expect(maxBuffered).toBeLessThan(highWaterMark + 100);
  });

  test("without --jsonl is a usage error", async () => {
    const result = await runCli(["eval"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "error[missing_option]: eval reads JSON Lines from stdin: pass --jsonl",
    );
  });

  test("one process answers 5,000 lines in order", async () => {
    const policies = Array.from({ length: 20 }, (_, n) => ({
      rules: [
        { tool: `Bash(tool${n} *)`, behavior: "allow" },
        { tool: "Bash(rm *)", behavior: "deny" },
      ],
    }));
    const commands = ["tool3 build", "rm -rf /", "git push", "tool3 x && rm y"];
    const count = 5000;
    const input = Array.from({ length: count }, (_, id) =>
      line({
        id,
        policy: policies[id % 20],
        tool: "Bash",
        input: { command: commands[id % 4]!.replace("tool3", `tool${id % 20}`) },
      }),
    ).join("");
    const result = await spawnCli(["eval", "--jsonl"], input);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const output = parseLines(result.stdout) as {
      id: number;
      decision: string;
      rule: string | null;
    }[];
    expect(output).toHaveLength(count);
    const expected = [
      ["allow", "tool"],
      ["deny", "Bash(rm *)"],
      ["ask", null],
      ["deny", "Bash(rm *)"],
    ] as const;
    output.forEach((answer, id) => {
      const [decision, rule] = expected[id % 4]!;
      expect(answer.id).toBe(id);
      expect(answer.decision).toBe(decision);
      if (rule === "tool") expect(answer.rule).toBe(`Bash(tool${id % 20} *)`);
      else expect(answer.rule).toBe(rule);
    });
  });
});
