// External-engine mode against a real engine (the one an embedded server spawned, with its admin
// token): a runner with a wrong engine token, or none, must not join, must say why, must stop,
// and must not print the token it was given or the engine's.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import {
  createWorkspace,
  runServer,
  type ServerProcess,
  spawnServer,
  type Workspace,
} from "./server-process.ts";

const AGENT = { id: "agent-1", role: "agent", projects: ["demo"] };
const AGENT_TOKEN = "engine-test-agent-token-0123456789";
let engineSide: Workspace;
let runnerSide: Workspace;
let embedded: ServerProcess;
let engineToken: string;
let engineEndpoint: string;

beforeAll(async () => {
  engineSide = await createWorkspace();
  runnerSide = await createWorkspace();
  const config = await engineSide.writeConfig({
    policy: { projects: {} },
    tokens: { [AGENT_TOKEN]: AGENT },
  });
  embedded = spawnServer(["--config", config], { pidFile: join(engineSide.dir, "server.pid") });
  await embedded.waitFor(/listening on/, 60_000);
  engineToken = (await readFile(join(engineSide.storage, "engine-admin-token"), "utf8")).trim();
  // The engine's own port (the embedded server's port + 1), as a load balancer would expose it.
  engineEndpoint = `http://127.0.0.1:${engineSide.port + 1}`;
}, 90_000);

afterAll(async () => {
  embedded?.child.kill("SIGTERM");
  await embedded?.exited;
  await runnerSide?.remove();
  await engineSide?.remove();
}, 60_000);

async function startRunner(env: Record<string, string>) {
  const config = await runnerSide.writeConfig({
    policy: { projects: {} },
    tokens: { [AGENT_TOKEN]: AGENT },
  });
  return runServer(["--config", config], {
    WARDEN_ENGINE_ENDPOINT: engineEndpoint,
    WARDEN_INTERNAL_TOKEN: "engine-test-internal-token-0123456789",
    ...env,
  });
}

test("a runner with a wrong engine token fails closed: it exits, says why, and prints no token", async () => {
  const wrong = "wrong-engine-token-0123456789abcdef";
  const { code, stdout, stderr } = await startRunner({ WARDEN_ENGINE_TOKEN: wrong });
  expect(code).not.toBe(0);
  expect(stdout).not.toContain("runner joined");
  expect(stderr).toContain(`the engine at ${engineEndpoint} refused this runner's engine token`);
  expect(stderr).toContain("$WARDEN_ENGINE_TOKEN");
  // One line for the operator, not RivetKit's wrapped error with a Rust backtrace.
  expect(stderr).not.toContain("backtrace");
  for (const secret of [wrong, engineToken]) {
    expect(stdout).not.toContain(secret);
    expect(stderr).not.toContain(secret);
  }
}, 120_000);

test("a runner given an engine endpoint but no token refuses to start, naming the setting", async () => {
  const { code, stdout, stderr } = await startRunner({});
  expect(code).toBe(1);
  expect(stdout).not.toContain("runner joined");
  expect(stderr).toContain("WARDEN_ENGINE_TOKEN");
});

test("an engine endpoint carrying credentials is refused without quoting them", async () => {
  for (const endpoint of [
    `http://default:${engineToken}@127.0.0.1:${engineSide.port + 1}`,
    `http://default:${engineToken} x@127.0.0.1:1`,
  ]) {
    const { code, stdout, stderr } = await startRunner({
      WARDEN_ENGINE_ENDPOINT: endpoint,
      WARDEN_ENGINE_TOKEN: engineToken,
    });
    expect(code).toBe(1);
    expect(stdout + stderr).not.toContain(engineToken);
    expect(stderr).toMatch(/endpoint/);
  }
});
