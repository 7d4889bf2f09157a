// Counters from the engine's Prometheus endpoint (metrics port = guard port + 10): storage
// transactions and operations, which unlike CPU time do not depend on what else runs on the box.

/** Counter totals, summed over their labels. */
export interface EngineCounters {
  readonly udbTransactions: number;
  readonly udbOperations: number;
  /** Storage transactions by the engine's name for them (e.g. `pegboard_actor_list_for_ns`). */
  readonly transactionsByName: Readonly<Record<string, number>>;
}

/** The storage transactions of `to` less those of `from`, by name, most first (top `limit`). */
export function topTransactions(
  from: EngineCounters | undefined,
  to: EngineCounters | undefined,
  limit: number,
): [string, number][] {
  if (!from || !to) return [];
  return Object.entries(to.transactionsByName)
    .map(([name, count]): [string, number] => [name, count - (from.transactionsByName[name] ?? 0)])
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
}

const COUNTERS = {
  udbTransactions: "rivet_udb_transaction_total",
  udbOperations: "rivet_udb_operation_total",
} as const;

/** Reads the counters, or undefined when the endpoint does not answer. */
export async function readEngineCounters(
  metricsUrl: string | undefined,
): Promise<EngineCounters | undefined> {
  if (metricsUrl === undefined) return undefined;
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) return undefined;
    const text = await response.text();
    const sum = (name: string) => {
      let total = 0;
      for (const line of text.split("\n")) {
        if (!line.startsWith(name) || (line[name.length] !== "{" && line[name.length] !== " "))
          continue;
        total += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
      }
      return total;
    };
    const transactionsByName: Record<string, number> = {};
    for (const line of text.split("\n")) {
      const name = /^rivet_udb_transaction_total\{.*name="([^"]+)"/.exec(line)?.[1];
      if (name === undefined) continue;
      const count = Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
      transactionsByName[name] = (transactionsByName[name] ?? 0) + count;
    }
    return {
      udbTransactions: sum(COUNTERS.udbTransactions),
      udbOperations: sum(COUNTERS.udbOperations),
      transactionsByName,
    };
  } catch {
    return undefined;
  }
}
