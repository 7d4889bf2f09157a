// The engine's Prometheus counters the probes read: storage transactions by name
// (`rivet_udb_transaction_total`) and the actors' SQLite requests to it, by type (`(sqlite commit)`, …).

/** Counters so far, by name; SQLite requests under `(sqlite <type>)`. */
export async function engineCounters(metricsUrl: string): Promise<Map<string, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const byName = new Map<string, number>();
  const add = (key: string, line: string) =>
    byName.set(key, (byName.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  for (const line of text.split("\n")) {
    const name = /^rivet_udb_transaction_total\{.*name="([^"]+)"/.exec(line)?.[1];
    if (name) add(name, line);
    const sqlite = /^rivet_pegboard_envoy_sqlite_request_total\{.*type="([^"]+)"/.exec(line)?.[1];
    if (sqlite) add(`(sqlite ${sqlite})`, line);
  }
  return byName;
}
