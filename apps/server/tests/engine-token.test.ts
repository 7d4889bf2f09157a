// External-engine mode against a real engine (the one an embedded server spawned, with its admin
// token): a runner with a wrong engine token, or none, must not join, must say why, must stop,
// and must not print the token it was given or the engine's.
import { readFile } from "node:fs/promises";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { probeEngineRefusal } from "../src/engine-config.ts";
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

test("the engine itself tells a refused token from a good one (the start's fallback when RivetKit reports something else)", async () => {
  const wrong = {
    value: "wrong-engine-token-0123456789abcdef",
    source: "$WARDEN_ENGINE_TOKEN",
    dev: false,
  };
  const refused = await probeEngineRefusal({ endpoint: engineEndpoint, token: wrong });
  expect(refused?.code).toBe("engine_refused");
  expect(refused?.message).not.toContain(wrong.value);
  const good = { value: engineToken, source: "$WARDEN_ENGINE_TOKEN", dev: false };
  expect(await probeEngineRefusal({ endpoint: engineEndpoint, token: good })).toBeUndefined();
  // No engine there: the original error stands.
  const closed = `http://127.0.0.1:${engineSide.port + 7}`;
  expect(await probeEngineRefusal({ endpoint: closed, token: wrong })).toBeUndefined();
});

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

/** The loopback TCP ports the process listens on (from /proc: its socket inodes in LISTEN). */
async function listeningPorts(pid: number): Promise<number[]> {
  const { readdir, readlink } = await import("node:fs/promises");
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => "");
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  const table = await readFile(`/proc/${pid}/net/tcp`, "utf8");
  return table
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f[3] === "0A" && f[9] !== undefined && inodes.has(f[9]))
    .map((f) => Number.parseInt(f[1]!.split(":")[1]!, 16));
}

/** Sends a raw HTTP request and resolves when the other side closes; what it answered. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      answer += chunk;
    });
    socket.once("connect", () => socket.write(request));
    socket.once("close", () => resolve(answer));
    socket.once("error", reject);
  });
}

test("another local user's envoy request through the runner's engine relay, refused by the engine, does not make the runner exit", async () => {
  const config = await runnerSide.writeConfig({
    policy: { projects: {} },
    tokens: { [AGENT_TOKEN]: AGENT },
  });
  const runner = spawnServer(["--config", config], {
    env: {
      WARDEN_ENGINE_ENDPOINT: engineEndpoint,
      WARDEN_ENGINE_TOKEN: engineToken,
      WARDEN_INTERNAL_TOKEN: "engine-test-internal-token-0123456789",
      WARDEN_ENGINE_NAMESPACE: "default",
    },
  });
  try {
    await runner.waitFor(/runner joined/, 90_000);
    const ports = await listeningPorts(runner.child.pid!);
    expect(ports.length).toBeGreaterThan(0);
    for (const port of ports) {
      const answer = await rawHttp(
        port,
        "GET /envoys/connect?namespace=default&envoy_key=x&version=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
      );
      expect(answer).not.toMatch(/^HTTP\/1\.1 101/);
    }
    // The runner keeps serving: it has not taken the refused request for its own lost connection.
    const exited = await Promise.race([
      runner.exited,
      new Promise<"running">((resolve) => setTimeout(() => resolve("running"), 3_000)),
    ]);
    expect(exited).toBe("running");
    expect(runner.stderr()).not.toContain("ended this runner's connection");
  } finally {
    runner.child.kill("SIGTERM");
    await runner.exited;
  }
}, 150_000);
