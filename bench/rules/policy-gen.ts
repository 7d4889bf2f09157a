import type { Behavior, ToolCall } from "../../packages/rules/src/index.ts";

/** How a generated rule names tools. */
export type ToolSpec =
  | { readonly kind: "exact"; readonly name: string }
  | { readonly kind: "glob"; readonly glob: string }
  | { readonly kind: "regex"; readonly source: string; readonly alternatives: readonly string[] };

/**
 * What a generated rule requires of one input field: a text glob on the primary argument, a path
 * glob, a case-insensitive regex made of literal characters, or an exact value.
 */
export interface FieldSpec {
  readonly field: string;
  readonly op: "primary" | "path" | "regex" | "equals";
  readonly value: string;
}

/** One generated rule in neutral form; policy-forms.ts prints it for each engine. */
export interface RuleSpec {
  readonly tool: ToolSpec;
  readonly arg?: FieldSpec;
  readonly behavior: Behavior;
}

/** The working directory every generated call is evaluated in. */
export const BENCH_CWD = "/repo";

/** The measured non-shell call: three planted rules name it (an allow, an ask and a deny). */
export const PROBE_CALL: ToolCall = { toolName: "Edit", input: { file_path: "pkg9/src/app.ts" } };

/** `PROBE_CALL` with the file renamed: the same rules decide it, but no two variants are equal. */
export const probeVariant = (n: number): ToolCall => ({
  toolName: "Edit",
  input: { file_path: `pkg9/src/app-${n}.ts` },
});

/** The measured compound shell command: four simple commands and a write through `tee`. */
export const BASH_COMPOUND = "cd /repo && npm test -- --watch=false | tee out.log; git status";

/** `BASH_COMPOUND` with the log file renamed, so that each variant misses the analysis cache. */
export const bashCompoundVariant = (n: number): string =>
  BASH_COMPOUND.replace("out.log", `out-${n}.log`);

const FIRST_ID = 10;
const PROBE_ID = 9;

const exact = (name: string): ToolSpec => ({ kind: "exact", name });
const glob = (pattern: string): ToolSpec => ({ kind: "glob", glob: pattern });
const bash = (op: FieldSpec["op"], value: string): Omit<RuleSpec, "behavior"> => ({
  tool: exact("Bash"),
  arg: { field: "command", op, value },
});
const filePath = (tool: string, value: string): Omit<RuleSpec, "behavior"> => ({
  tool: exact(tool),
  arg: { field: "file_path", op: "path", value },
});

/** The rules the measured calls hit, planted at seeded positions in every generated policy. */
const PLANTED: readonly RuleSpec[] = [
  { ...filePath("Edit", `pkg${PROBE_ID}/**`), behavior: "allow" },
  { ...filePath("Edit", `pkg${PROBE_ID}/src/**`), behavior: "ask" },
  { ...filePath("Edit", `pkg${PROBE_ID}/**/*.pem`), behavior: "deny" },
  { ...bash("primary", "cd *"), behavior: "allow" },
  { ...bash("primary", "npm test *"), behavior: "allow" },
  { ...bash("primary", "tee *"), behavior: "allow" },
  { ...bash("primary", "git status"), behavior: "allow" },
  { ...filePath("Write", "**/*.log"), behavior: "allow" },
];

type Random = () => number;

/** mulberry32: a small, fast, seeded PRNG. */
function seeded(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;

function weighted<T>(random: Random, table: readonly (readonly [number, T])[]): T {
  const total = table.reduce((sum, [weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [weight, value] of table) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return table.at(-1)![1];
}

type RuleMaker = (id: number, random: Random) => Omit<RuleSpec, "behavior">;

const RULE_KINDS: readonly (readonly [number, RuleMaker])[] = [
  [20, (id) => ({ tool: exact(`tool_${id}`) })],
  [10, (id) => ({ tool: glob(`svc_${id}_*`) })],
  [12, (id) => ({ tool: glob(`mcp__server${id}__*`) })],
  [
    5,
    (id) => ({
      tool: {
        kind: "regex",
        source: `mcp__(gh|gl)${id}__.*`,
        alternatives: [`*mcp__gh${id}__*`, `*mcp__gl${id}__*`],
      },
    }),
  ],
  [15, (id) => bash("primary", `cmd${id} *`)],
  [8, (id) => bash("regex", `danger${id}`)],
  [
    15,
    (id, r) => filePath("Edit", pick(r, [`pkg${id}/**`, `pkg${id}/src/**`, `pkg${id}/**/*.json`])),
  ],
  [10, (id, r) => filePath("Read", pick(r, [`dir${id}/**/*.ts`, `dir${id}/**`]))],
  [
    5,
    (id, r) => ({
      tool: exact(`mcp__server${id}__deploy`),
      arg: { field: "env", op: "equals", value: pick(r, ["prod", "staging"]) },
    }),
  ],
];

const BEHAVIORS: readonly (readonly [number, Behavior])[] = [
  [15, "deny"],
  [60, "allow"],
  [25, "ask"],
];

/** How many distinct ids each kind of rule draws from: grows with the policy, so a call hits a
 * similar number of rules at every size. */
const idSpan = (size: number) => Math.max(4, Math.ceil(size / 8));

/**
 * A deterministic policy of `size` rules: the planted rules of the measured calls at seeded
 * positions, the rest drawn from a realistic mix of exact, glob, MCP, regex and field rules.
 */
export function generatePolicy(size: number, seed = 1): RuleSpec[] {
  const random = seeded(seed);
  const span = idSpan(size);
  const rules: RuleSpec[] = [];
  const planted = PLANTED.slice(0, size);
  for (let i = 0; i < size - planted.length; i++) {
    const id = FIRST_ID + Math.floor(random() * span);
    const make = weighted(random, RULE_KINDS);
    rules.push({ ...make(id, random), behavior: weighted(random, BEHAVIORS) });
  }
  for (const rule of planted) rules.splice(Math.floor(random() * (rules.length + 1)), 0, rule);
  return rules;
}

type CallMaker = (id: number, random: Random) => ToolCall;

const CALL_KINDS: readonly (readonly [number, CallMaker])[] = [
  [10, (id) => ({ toolName: `tool_${id}`, input: {} })],
  [8, (id, r) => ({ toolName: `svc_${id}_${pick(r, ["list", "get"])}`, input: { name: "x" } })],
  [10, (id) => ({ toolName: `mcp__server${id}__create_issue`, input: { title: "flaky test" } })],
  [
    6,
    (id, r) => ({
      toolName: `mcp__${pick(r, ["gh", "gl", "bb"])}${id}__search`,
      input: { q: "x" },
    }),
  ],
  [
    6,
    (id, r) => ({
      toolName: `mcp__server${id}__deploy`,
      input: { env: pick(r, ["prod", "staging", "dev"]) },
    }),
  ],
  [
    12,
    (id, r) => ({
      toolName: "Bash",
      input: { command: `cmd${id} --verbose src/file${pick(r, [1, 2])}.ts` },
    }),
  ],
  [6, (id) => ({ toolName: "Bash", input: { command: `echo danger${id}` } })],
  [
    4,
    (_id, r) => ({
      toolName: "Bash",
      input: { command: pick(r, ["ls -la", "git status", "npm test -- -u"]) },
    }),
  ],
  [
    14,
    (id, r) => ({
      toolName: "Edit",
      input: {
        file_path: pick(r, [
          `pkg${id}/src/a.ts`,
          `pkg${id}/config.json`,
          `pkg${id}/README.md`,
          `pkg${id}/src/key.pem`,
        ]),
      },
    }),
  ],
  [
    10,
    (id, r) => ({
      toolName: "Read",
      input: { file_path: pick(r, [`dir${id}/lib/x.ts`, `dir${id}/notes.md`]) },
    }),
  ],
  [
    4,
    (_id, r) => ({
      toolName: "Write",
      input: { file_path: pick(r, ["logs/run.log", "src/out.txt"]) },
    }),
  ],
  [3, () => ({ toolName: "unknown_tool", input: {} })],
];

/** Deterministic calls over the ids a policy of `size` rules uses, with a few misses. */
export function generateCalls(count: number, size: number, seed = 2): ToolCall[] {
  const random = seeded(seed);
  const span = idSpan(size);
  return Array.from({ length: count }, () => {
    const id = PROBE_ID + Math.floor(random() * (span + 3));
    return weighted(random, CALL_KINDS)(id, random);
  });
}
