// An embedded server with an actor on closed storage says so on /health (503), for whatever
// supervises it (src/main.ts marks it; docs/deploy.md). A healthy front passes /health to its
// engine (tests/front.test.ts).
import { createWarden } from "@warden/server";
import { findEnginePort } from "@warden/server/testing";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningFront, startFront } from "../src/front-proxy.ts";

let front: RunningFront;
let base: string;
let reason: string | undefined;

beforeAll(async () => {
  const [port, enginePort] = [await findEnginePort(), await findEnginePort()];
  const { admit } = createWarden({
    tokens: { "health-agent-token-0123456789": { id: "a", role: "agent", projects: ["demo"] } },
  });
  front = await startFront({
    host: "127.0.0.1",
    port,
    // Nothing listens there: what /health answers below comes from the front itself.
    engine: { host: "127.0.0.1", port: enginePort },
    allowedOrigins: [],
    adminToken: "health-admin-token-0123456789abcdef",
    admit,
    unhealthy: () => reason,
  });
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await front?.close();
});

test("/health answers 503 with the reason once the server is marked, for GET and HEAD", async () => {
  // Unmarked, /health goes to the engine (none here: 502).
  expect((await fetch(`${base}/health`)).status).toBe(502);
  reason = "actor x is on closed storage: storage errors (sqlite/closed) for 1.2 s";
  const response = await fetch(`${base}/health`);
  expect(response.status).toBe(503);
  expect(await response.json()).toEqual({
    group: "warden",
    code: "storage_closed",
    message: reason,
  });
  expect((await fetch(`${base}/health`, { method: "HEAD" })).status).toBe(503);
  // Only the health check: other public routes still go to the engine.
  expect((await fetch(`${base}/metadata`)).status).toBe(502);
});
