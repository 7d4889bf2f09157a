/**
 * `pnpm bench [--json] [--only rules,session]`: runs the benchmark sections and prints a table of
 * medians, ratios and goals for each; with `--json`, prints only `{ "<section>": { "<metric>": … } }`
 * on stdout (progress goes to stderr; `pnpm -s bench --json` keeps pnpm's banner off stdout). A new
 * section is one more entry in `SECTIONS`.
 */
import { parseArgs } from "node:util";
import { runLoadBench } from "../scripts/load/load-bench.ts";
import { clientSection } from "./client/client-bench.ts";
import { runInboxBench } from "./client/inbox-bench.ts";
import { runClusterBench } from "./cluster/cluster-bench.ts";
import { mcpSection } from "./mcp/mcp-bench.ts";
import { formatNs, runRulesBench } from "./rules/rules-bench.ts";
import { runSessionBench } from "./session/session-bench.ts";
import { sessionTable, type Table } from "./session/session-table.ts";

/** One line of a table of medians with a goal each. */
interface Row {
  readonly name: string;
  readonly ns: number;
  /** The comparison that matters for this row, e.g. `2.9× Warden@100`. */
  readonly ratio: string;
  readonly goal: string;
  /** Undefined when the row has no goal. */
  readonly pass?: boolean;
}

/** A benchmark section: what it measures and how its results read as a table. */
interface Section {
  readonly name: string;
  readonly run: (log: (line: string) => void) => Promise<Record<string, number>>;
  readonly table: (result: Record<string, number>) => Table;
}

/** A table with one median, ratio and goal per row. */
function goalTable(name: string, rows: readonly Row[]): Table {
  return {
    header: [name, "median", "ratio", "goal", ""],
    rows: rows.map((row) => [
      row.name,
      formatNs(row.ns),
      row.ratio,
      row.goal,
      row.pass === undefined ? "" : row.pass ? "pass" : "FAIL",
    ]),
    right: [1],
    notes: [],
  };
}

const times = (ratio: number) => `${ratio.toFixed(ratio < 10 ? 2 : 0)}×`;

const rulesSection: Section = {
  name: "rules",
  run: (log) => runRulesBench({ log }),
  table(r) {
    const base = r.eval_100_ns!;
    const vsBase = (ns: number) => `${times(ns / base)} Warden@100`;
    return goalTable("rules", [
      { name: "Warden, 10 rules", ns: r.eval_10_ns!, ratio: vsBase(r.eval_10_ns!), goal: "" },
      {
        name: "Warden, 100 rules",
        ns: base,
        ratio: vsBase(base),
        goal: "≤ 500 ns",
        pass: base <= 500,
      },
      {
        name: "Warden, 1,000 rules",
        ns: r.eval_1000_ns!,
        ratio: vsBase(r.eval_1000_ns!),
        goal: "≤ 1.5× Warden@100",
        pass: r.eval_1000_ns! <= 1.5 * base,
      },
      {
        name: "Warden, compound Bash (100 rules)",
        ns: r.bash_compound_ns!,
        ratio: vsBase(r.bash_compound_ns!),
        goal: "≤ 20 µs",
        pass: r.bash_compound_ns! <= 20_000,
      },
      {
        name: "cedar-wasm, 100 rules",
        ns: r.cedar_100_ns!,
        ratio: vsBase(r.cedar_100_ns!),
        goal: "",
      },
      {
        name: "naive picomatch loop, 100 rules",
        ns: r.naive_100_ns!,
        ratio: vsBase(r.naive_100_ns!),
        goal: "≥ 4× Warden@100",
        pass: r.naive_100_ns! >= 4 * base,
      },
    ]);
  },
};

/** Warden's session actor vs bare RivetKit, in the default setup and with loopback quickack. */
const sessionSection: Section = {
  name: "session",
  run: (log) => runSessionBench({ log }),
  table: sessionTable,
};

/** The client SDK: a check decided locally vs by the session actor vs a bare RivetKit action. */
const clientBenchSection: Section = {
  name: clientSection.name,
  run: clientSection.run,
  table: (result) => goalTable(clientSection.name, clientSection.rows(result)),
};

/** An approver's inbox with 10,000 pending requests across 1,000 sessions vs 100; the project history. */
const inboxSection: Section = {
  name: "inbox",
  run: runInboxBench,
  table(r) {
    const ms = (v: number | undefined) => `${(v ?? Number.NaN).toFixed(0)} ms`;
    const n = (v: number | undefined) => (v ?? Number.NaN).toFixed(0);
    return {
      header: ["inbox", "small", "large", "ratio"],
      rows: [
        [
          "first list(), fed: 100 vs 10,000 pending",
          ms(r.first_list_100_ms),
          ms(r.first_list_10000_ms),
          times(r.first_list_growth ?? Number.NaN),
        ],
        [
          "catch-up (subscribe until all delivered), fed",
          ms(r.catch_up_100_ms),
          ms(r.catch_up_10000_ms),
          times(r.catch_up_growth ?? Number.NaN),
        ],
        [
          "one page of 100 (listInbox), fed: 100 vs 10,000 pending",
          ms(r.page_at_100_ms),
          ms(r.page_at_10000_ms),
          times(r.page_growth ?? Number.NaN),
        ],
        [
          "one session's report (a row opened and settled), fed",
          ms(r.report_at_100_ms),
          ms(r.report_at_10000_ms),
          times(r.report_growth ?? Number.NaN),
        ],
        [
          "last 100 decisions, fed: one session vs project of 1,000",
          ms(r.history_last_100_one_session_ms),
          ms(r.history_last_100_across_1000_ms),
          times(r.history_across_vs_one ?? Number.NaN),
        ],
        [
          `first list() / catch-up, ${n(r.real_sessions)} real sessions, ${n(r.real_pending)} pending`,
          ms(r.real_first_list_ms),
          ms(r.real_catch_up_ms),
          "",
        ],
        [
          `last 100 decisions, real: one session vs project of ${n(r.real_sessions)}`,
          ms(r.real_history_last_100_one_session_ms),
          ms(r.real_history_last_100_across_ms),
          times(r.real_history_across_vs_one ?? Number.NaN),
        ],
      ],
      right: [1, 2, 3],
      notes: [
        `"fed": the project filled through its own internal report action (noteInbox), as 1,000`,
        `sessions' reports would (${n(r.pending_large)} pending reached, ${n(r.fill_reports_per_s)} reports/s); "real":`,
        "session actors asking through requestPermission. See bench/client/inbox-bench.ts.",
      ],
    };
  },
};

/** The MCP gateway: a rule-allowed tools/call through it vs straight to the same server. */
const mcpBenchSection: Section = {
  name: mcpSection.name,
  run: mcpSection.run,
  table: (result) => ({
    ...goalTable(mcpSection.name, mcpSection.rows(result)),
    notes: mcpSection.notes(result),
  }),
};

/** Warden on pnpm cluster's topology: one runner vs two, the LB round trip, failover stalls. */
const clusterSection: Section = {
  name: "cluster",
  run: runClusterBench,
  table(r) {
    const rate = (n: number | undefined) => `${(n ?? Number.NaN).toFixed(1)}/s`;
    const ms = (n: number | undefined) =>
      `${(n ?? Number.NaN).toFixed(n !== undefined && n < 100 ? 1 : 0)} ms`;
    const ratio = (n: number | undefined, of: string) => `${times(n ?? Number.NaN)} ${of}`;
    return {
      header: ["cluster", "1 runner", "2 runners", "ratio"],
      rows: [
        [
          "decisions through the actor (fast path off)",
          rate(r.decisions_per_s_1_runner),
          rate(r.decisions_per_s_2_runners),
          ratio(r.decisions_ratio_2_vs_1, "2 vs 1"),
        ],
        [
          "asks answered by an approver, end to end",
          rate(r.asks_per_s_1_runner),
          rate(r.asks_per_s_2_runners),
          ratio(r.asks_ratio_2_vs_1, "2 vs 1"),
        ],
        [
          "round trip through the LB, p50 (default / quickack)",
          ms(r.round_trip_p50_ms),
          ms(r.round_trip_quickack_p50_ms),
          ratio(r.round_trip_ratio_default_vs_quickack, "default vs quickack"),
        ],
        [
          "stall after SIGKILL (runner / leader engine)",
          ms(r.runner_failover_ms),
          ms(r.leader_failover_ms),
          ratio(r.leader_vs_runner_failover_ratio, "leader vs runner"),
        ],
      ],
      right: [1, 2],
      notes: [
        "One 2-core box runs PostgreSQL, NATS, both engines, the runners and the clients: the ratios",
        "say how the topology behaves, not what separate hosts would do (docs/deploy.md).",
      ],
    };
  },
};

/** A fleet on this box (`pnpm load`'s runner): exactly-once, p99s, engine CPU and memory per session. */
const loadSection: Section = {
  name: "load",
  run: runLoadBench,
  table(r) {
    const n = (v: number | undefined, digits = 0) =>
      v === undefined || !Number.isFinite(v) ? "n/a" : v.toFixed(digits);
    const ms = (p50: number | undefined, p99: number | undefined) => `${n(p50)} / ${n(p99)} ms`;
    return {
      header: ["load", "measured", "goal", ""],
      rows: [
        [
          `sessions created (of ${n(r.sessions)}), errors`,
          `${n(r.sessions_created)}, ${n(r.errors)}`,
          "all, 0",
          r.sessions_created === r.sessions && r.errors === 0 ? "pass" : "FAIL",
        ],
        [
          "requests lost / doubled / mismatched / left pending",
          `${n(r.lost)} / ${n(r.doubled)} / ${n(r.mismatched)} / ${n(r.pending_left)}`,
          "0 / 0 / 0 / 0",
          r.lost === 0 && r.doubled === 0 && r.mismatched === 0 && r.pending_left === 0
            ? "pass"
            : "FAIL",
        ],
        ["sessions created per s", n(r.sessions_per_s, 1), "", ""],
        ["session creation p50 / p99", ms(r.create_p50_ms, r.create_p99_ms), "", ""],
        ["actor decisions per s", n(r.decisions_per_s, 1), "", ""],
        ["actor decision p50 / p99", ms(r.decision_p50_ms, r.decision_p99_ms), "", ""],
        [
          "ask → first approver p50 / p99",
          ms(r.ask_to_first_approver_p50_ms, r.ask_to_first_approver_p99_ms),
          "p50 < 1,000 ms",
          (r.ask_to_first_approver_p50_ms ?? Number.NaN) < 1_000 ? "pass" : "FAIL",
        ],
        ["reply → agent p50 / p99", ms(r.reply_to_agent_p50_ms, r.reply_to_agent_p99_ms), "", ""],
        [
          "engine CPU per actor call (asks included)",
          `${n(r.engine_cpu_ms_per_actor_call, 2)} ms`,
          "≤ 2.2 ms (8.8 / 4)",
          (r.engine_cpu_ms_per_actor_call ?? Number.NaN) <= 2.2 ? "pass" : "FAIL",
        ],
        [
          "storage transactions per actor call, per created session",
          `${n(r.engine_transactions_per_actor_call, 2)}, ${n(r.engine_transactions_per_session_created)}`,
          "",
          "",
        ],
        [
          "engine per idle connected session",
          `${n(r.engine_idle_cpu_ms_per_s_per_session, 2)} ms CPU/s, ${n(r.engine_idle_transactions_per_s_per_session, 2)} transactions/s`,
          "",
          "",
        ],
        [
          "RSS per session, engine / runner",
          `${n(r.engine_rss_mb_per_session, 2)} / ${n(r.runner_rss_mb_per_session, 2)} MB`,
          "",
          "",
        ],
        ["sessions per box by memory (80 % of RAM)", n(r.sessions_per_box_by_memory), "", ""],
      ],
      right: [1],
      notes: [
        "Session creation against a bare actor is the session section's create_ratio.",
        "One 2-core box runs the engine, the runner and every client: see docs/scale.md.",
      ],
    };
  },
};

const SECTIONS: readonly Section[] = [
  rulesSection,
  sessionSection,
  clientBenchSection,
  inboxSection,
  mcpBenchSection,
  clusterSection,
  loadSection,
];

function printTable({ header, rows, right, notes }: Table): void {
  const widths = header.map((_, i) =>
    Math.max(...[header, ...rows].map((line) => [...(line[i] ?? "")].length)),
  );
  const format = (line: readonly string[]) =>
    line
      .map((cell, i) => {
        const pad = " ".repeat(widths[i]! - [...cell].length);
        return right.includes(i) ? pad + cell : cell + pad;
      })
      .join("  ")
      .trimEnd();
  console.log(format(header));
  console.log(
    widths
      .map((width) => "-".repeat(width))
      .join("  ")
      .trimEnd(),
  );
  for (const line of rows) console.log(format(line));
  for (const note of notes) console.log(note);
  console.log();
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { json: { type: "boolean", default: false }, only: { type: "string" } },
  });
  const names = SECTIONS.map((section) => section.name);
  const only = values.only?.split(",").map((name) => name.trim()) ?? names;
  const unknown = only.filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new Error(`unknown section ${unknown.join(", ")}: expected one of ${names.join(", ")}`);
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: Record<string, Record<string, number>> = {};
  for (const section of SECTIONS.filter((s) => only.includes(s.name))) {
    log(`# ${section.name}`);
    const result = await section.run(log);
    results[section.name] = result;
    if (!values.json) {
      log("");
      printTable(section.table(result));
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
