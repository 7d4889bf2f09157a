import { createClient } from "rivetkit/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type ProbeRegistry, registry } from "../src/probe-actor.ts";
import {
  allocateEngine,
  type EngineSlot,
  isRunning,
  readEnginePid,
  stopEngine,
} from "./engine-harness.ts";

let slot: EngineSlot;
let client: ReturnType<typeof createClient<ProbeRegistry>>;

beforeAll(async () => {
  slot = await allocateEngine();
  registry.config.noWelcome = true;
  await registry.startAndWait();
  client = createClient<ProbeRegistry>(slot.endpoint);
});

afterAll(async () => {
  await client?.dispose();
  await registry.shutdown();
  if (!slot) return;
  const pid = await readEnginePid(slot.storagePath);
  await stopEngine(slot);
  if (pid !== undefined) expect(await isRunning(pid)).toBe(false);
});

test("an action over a connection returns the new count and broadcasts a typed event", async () => {
  const conn = client.counter
    .getOrCreate(["broadcast"], { params: { token: "letmein" } })
    .connect();
  const seen = new Promise<{ count: number; by: string }>((resolve) =>
    conn.on("countChanged", resolve),
  );

  await expect(conn.increment(3)).resolves.toBe(3);
  await expect(seen).resolves.toEqual({ count: 3, by: "token:letmein" });
  await conn.dispose();
});

test("onBeforeConnect refuses a bad token with a user error the client reads by code", async () => {
  const handle = client.counter.getOrCreate(["auth"], { params: { token: "wrong" } });
  await expect(handle.getCount()).rejects.toMatchObject({
    group: "user",
    code: "unauthorized",
    metadata: { got: "wrong" },
  });
});

test("a UserError thrown in an action keeps its code and metadata; any other error is hidden", async () => {
  const conn = client.counter.getOrCreate(["errors"], { params: { token: "letmein" } }).connect();
  await expect(conn.refuse()).rejects.toMatchObject({
    group: "user",
    code: "denied_by_rule",
    message: "not allowed here",
    metadata: { rule: 3 },
  });
  await expect(conn.crash()).rejects.toMatchObject({ group: "rivetkit", code: "internal_error" });
  await conn.dispose();
});

test("c.schedule.after runs the named action later", async () => {
  const conn = client.counter.getOrCreate(["schedule"], { params: { token: "letmein" } }).connect();
  const fired = new Promise<{ count: number; by: string }>((resolve) =>
    conn.on("countChanged", resolve),
  );
  await conn.incrementLater(200, 5);
  await expect(fired).resolves.toEqual({ count: 5, by: "schedule" });
  await conn.dispose();
});

test("the engine runs as a separate process recorded in the storage path's runtime stamp", async () => {
  const pid = await readEnginePid(slot.storagePath);
  expect(pid).toBeGreaterThan(0);
  expect(await isRunning(pid ?? 0)).toBe(true);
});
