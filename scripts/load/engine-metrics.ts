// Counters from the engine's Prometheus endpoint (metrics port = guard port + 10): storage
// transactions and operations, which unlike CPU time do not depend on what else runs on the box.

/** Counter totals, summed over their labels. */
export interface EngineCounters {
  readonly udbTransactions: number;
  readonly udbOperations: number;
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
    return {
      udbTransactions: sum(COUNTERS.udbTransactions),
      udbOperations: sum(COUNTERS.udbOperations),
    };
  } catch {
    return undefined;
  }
}
