import { AGENT, type Bench, debug, session } from "./bench-client.ts";
import { call, closeAll, retry } from "./connections.ts";

/** Memory of the processes under test, in kB. */
export interface MemoryReading {
  /** VmRSS of the runner and of the engine. */
  readonly runner: number;
  readonly engine: number;
  /** The runner's JS heap in use (V8 heap plus external buffers). */
  readonly runnerHeap: number;
}

/** What the memory measurement needs of the processes under test. */
export interface MemoryProbe {
  /** Collects garbage in the runner, then reads the memory of both processes. */
  read(): Promise<MemoryReading>;
}

/**
 * Idle memory per session: RSS before and after creating `sessions` sessions, each with a
 * connection that made one call, divided by their number; also while those connections are open.
 * The connections stay open until every session exists and are then closed together, so none has
 * reached the 30 s sleep timeout when the memory is read. Runs first, on a fresh runner, after
 * `warmup` sessions that load every code path.
 */
export async function measureIdleMemory(
  { client, metrics }: Bench,
  probe: MemoryProbe,
  { sessions, warmup, inFlight }: { sessions: number; warmup: number; inFlight: number },
) {
  const create = async (prefix: string, count: number, parallel: number) => {
    let next = 0;
    const open: ReturnType<typeof session>[] = [];
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < count) {
          const key = `${prefix}-${next++}`;
          await retry(async () => {
            const conn = session(client, key, AGENT);
            open.push(conn);
            await call("first action", conn.getUsage());
          });
        }
      }),
    );
    return open;
  };
  // Reads RSS once it has stopped moving: closed connections are released over a second or two.
  const settled = async () => {
    let last = await probe.read();
    for (let read = 0; read < 10; read++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const now = await probe.read();
      const moved = Math.abs(now.runner - last.runner) + Math.abs(now.engine - last.engine);
      debug(`rss runner ${now.runner} kB (heap ${now.runnerHeap} kB), engine ${now.engine} kB`);
      last = now;
      if (moved < 1_024) break;
    }
    return last;
  };
  // One at a time first, while the runner is cold. Their connections stay open to the end: once
  // closed, those sessions would fall asleep 30 s later, in the middle of the measurement.
  const warm = await create("warm", warmup, 1);
  const before = await settled();
  const conns = await create("idle", sessions, inFlight);
  const connected = await settled();
  await closeAll(conns);
  const after = await settled();
  await closeAll(warm);
  const perSession = (reading: MemoryReading, key: keyof MemoryReading) =>
    Math.round((reading[key] - before[key]) / sessions);
  metrics.idle_session_kb_runner = perSession(after, "runner");
  metrics.idle_session_kb_engine = perSession(after, "engine");
  metrics.idle_session_kb_runner_heap = perSession(after, "runnerHeap");
  metrics.connected_session_kb_runner = perSession(connected, "runner");
  metrics.connected_session_kb_engine = perSession(connected, "engine");
  metrics.idle_sessions = sessions;
}
