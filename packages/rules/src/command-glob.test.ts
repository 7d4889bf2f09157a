import fc from "fast-check";
import { expect, test } from "vitest";
import { compilePolicy } from "./compile.ts";
import { evaluate } from "./evaluate.ts";

const word = fc.stringMatching(/^[a-z0-9=.,:@%+-]{1,6}( [a-z0-9=*?]{1,4})?$/);
const quoted = fc
  .tuple(word, fc.constantFrom("single", "double"))
  .map(([w, style]) => (style === "single" ? `'${w}'` : `"${w}"`));
const bare = fc.stringMatching(/^[a-z0-9.,:@%+-]{1,6}$/);
/**
 * The program is an ordinary command name: the property is about its arguments' quotes, and a
 * drawn `in` (a reserved word: does not parse) or `sg` (a launcher) rightly asks instead
 * (analyze.cases.ts covers those).
 */
const program = bare.map((w) => `tool-${w}`);

test("a command glob written with the command's own quotes allows exactly that command", () => {
  fc.assert(
    fc.property(
      program,
      fc.array(fc.oneof(bare, quoted), { minLength: 1, maxLength: 4 }),
      (program, args) => {
        const command = [program, ...args].join(" ");
        const pattern = `Bash(${command})`;
        let policy: ReturnType<typeof compilePolicy>;
        try {
          policy = compilePolicy({ project: { rules: [{ tool: pattern, behavior: "allow" }] } });
        } catch {
          return; // `x = 'y'` reads as a condition: a load error, never a silent glob
        }
        const decision = evaluate(policy, { toolName: "Bash", input: { command } });
        expect(decision.decision, pattern).toBe("allow");
        // Quoted stars are literal: the same command with a word changed is not allowed.
        const other = evaluate(policy, {
          toolName: "Bash",
          input: { command: `${command} extra` },
        });
        expect(other.decision, `${pattern} vs ${command} extra`).toBe("ask");
      },
    ),
    { numRuns: 1500 },
  );
});
