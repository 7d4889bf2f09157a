import type { Metrics } from "./bench-client.ts";

/** A printed table: a header, rows of cells, and lines of notes under it. */
export interface Table {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Columns whose cells are right-aligned. */
  readonly right: readonly number[];
  readonly notes: readonly string[];
}

/** The goals the issue sets, as Warden ÷ bare. */
export const GOALS = { roundtrip: 1.15, broadcast: 1.2 } as const;

const SETUPS = [
  { suffix: "", label: "default" },
  { suffix: "_quickack", label: "quickack" },
] as const;

interface Line {
  readonly name: string;
  /** Metric prefix: `<metric>_ms` and `<metric>_p99_ms`, or a kB metric with `kb`. */
  readonly metric: string;
  readonly kb?: boolean;
  /** Ratio metric shown beside it. */
  readonly ratio?: string;
  readonly goal?: number;
}

const LINES: readonly Line[] = [
  {
    name: "requestPermission, auto-allowed",
    metric: "roundtrip",
    ratio: "roundtrip_ratio",
    goal: GOALS.roundtrip,
  },
  { name: "  bare echo, saves state (baseline)", metric: "bare_roundtrip" },
  {
    name: "  bare ping, no save (Warden ÷ ping)",
    metric: "bare_ping",
    ratio: "roundtrip_ping_ratio",
  },
  ...[1, 10, 100].flatMap((n): Line[] => [
    {
      name: `ask → last of ${n} subscriber${n > 1 ? "s" : ""}`,
      metric: `broadcast_${n}`,
      ratio: `broadcast_${n}_ratio`,
      goal: GOALS.broadcast,
    },
    { name: `  bare save + broadcast to ${n}`, metric: `bare_broadcast_${n}` },
  ]),
  { name: "reply → waiting agent resolves", metric: "reply", ratio: "reply_ratio" },
  { name: "  bare save + wake a waiting action", metric: "bare_reply" },
  {
    name: "create session (connect + 1st action)",
    metric: "create_session",
    ratio: "create_ratio",
  },
  { name: "  create bare actor", metric: "create_bare" },
  { name: "idle session, runner RSS (per session)", metric: "idle_session_kb_runner", kb: true },
  { name: "  runner JS heap (per session)", metric: "idle_session_kb_runner_heap", kb: true },
  { name: "idle session, engine RSS (per session)", metric: "idle_session_kb_engine", kb: true },
  { name: "connected session, runner RSS", metric: "connected_session_kb_runner", kb: true },
  { name: "connected session, engine RSS", metric: "connected_session_kb_engine", kb: true },
];

const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const times = (ratio: number) => `${ratio.toFixed(2)}×`;

/** The session section as a table: each measurement in both setups, ratios to bare, goals. */
export function sessionTable(r: Metrics): Table {
  const fixed = r.quickack === 1;
  const cell = (line: Line, suffix: string): string => {
    if (suffix && !fixed) return "skipped";
    if (line.kb) return `${r[`${line.metric}${suffix}`]} kB`;
    return `${ms(r[`${line.metric}_ms${suffix}`]!)} / ${ms(r[`${line.metric}_p99_ms${suffix}`]!)} ms`;
  };
  const ratio = (line: Line, suffix: string) =>
    line.ratio && (fixed || !suffix) ? times(r[`${line.ratio}${suffix}`]!) : "";
  const verdict = (line: Line, suffix: string) => {
    if (line.goal === undefined) return "";
    if (suffix && !fixed) return "—";
    return r[`${line.ratio}${suffix}`]! <= line.goal ? "pass" : "FAIL";
  };
  const rows = LINES.map((line) => [
    line.name,
    ...SETUPS.flatMap(({ suffix }) => [cell(line, suffix), ratio(line, suffix)]),
    line.goal === undefined ? "" : `≤ ${line.goal}× bare`,
    ...SETUPS.map(({ suffix }) => verdict(line, suffix)),
  ]);
  const notes = [
    "p50 / p99 over connections; ratio = Warden ÷ the bare row under it (same run, interleaved).",
    `default: rivetkit 2.3.19 as shipped; quickack: engine, runner and client in a network namespace whose loopback has quickack (scripts/with-quickack.sh, docs/latency.md).${fixed ? "" : " SKIPPED: the namespace is not available on this machine."}`,
    "memory: (after − before) ÷ sessions, after a GC; the runner's RSS moves by megabytes with the allocator (it can come out negative), its JS heap is the steadier figure.",
    `load average ${r.loadavg_1m_start} → ${r.loadavg_1m_end} (2 cores); failed trials redone: ${r.failed_trials}${fixed ? ` / ${r.failed_trials_quickack}` : ""}; idle memory over ${r.idle_sessions} sessions; took ${r.duration_s} s${fixed ? ` + ${r.duration_s_quickack} s` : ""}.`,
  ];
  if (fixed)
    notes.push(
      `quickack speed-up: round trip ${times(r.roundtrip_speedup!)}, ask to 1 / 10 / 100 ${times(r.broadcast_1_speedup!)} / ${times(r.broadcast_10_speedup!)} / ${times(r.broadcast_100_speedup!)}, reply ${times(r.reply_speedup!)}.`,
    );
  return {
    header: [
      "session",
      ...SETUPS.flatMap(({ label }) => [`${label} p50 / p99`, "ratio"]),
      "goal",
      ...SETUPS.map(({ label }) => label),
    ],
    rows,
    right: [1, 2, 3, 4],
    notes,
  };
}
