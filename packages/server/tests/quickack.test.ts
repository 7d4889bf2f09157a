// The Nagle-stall fix (docs/latency.md): scripts/with-quickack.sh runs a command in a private network
// namespace whose loopback routes carry `quickack 1`, and deploy/loopback-quickack.sh sets the same
// routes in a container's namespace. Needs unshare and ip (util-linux, iproute2) and unprivileged
// user namespaces or root, as `pnpm bench` does; no engine.
import { execFile, spawn } from "node:child_process";
import { readlink } from "node:fs/promises";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, test } from "vitest";

const run = promisify(execFile);
const launcher = fileURLToPath(new URL("../../../scripts/with-quickack.sh", import.meta.url));
const entrypoint = fileURLToPath(new URL("../../../deploy/loopback-quickack.sh", import.meta.url));

/** The `local` routes of a `ip route show table local` listing, by destination. */
function localRoutes(listing: string): Map<string, string> {
  const routes = new Map<string, string>();
  for (const line of listing.split("\n")) {
    const match = /^local (\S+) (.*)$/.exec(line.trim());
    if (match) routes.set(match[1]!, match[2]!);
  }
  return routes;
}

function expectQuickack(listing: string) {
  const routes = localRoutes(listing);
  for (const destination of ["127.0.0.0/8", "127.0.0.1"]) {
    expect(routes.get(destination), `route ${destination} in:\n${listing}`).toMatch(
      /\bquickack 1\b/,
    );
  }
}

test("--check prints the namespace's loopback routes, both with quickack", async () => {
  const { stdout } = await run(launcher, ["--check"]);
  expectQuickack(stdout);
});

test("a command under the launcher runs in its own network namespace and sees the routes", async () => {
  const { stdout } = await run(launcher, [
    "sh",
    "-c",
    "readlink /proc/self/ns/net; ip route show table local",
  ]);
  const [inside, ...listing] = stdout.trim().split("\n");
  expect(inside).toMatch(/^net:\[\d+\]$/);
  expect(inside).not.toBe(await readlink("/proc/self/ns/net"));
  expectQuickack(listing.join("\n"));
});

test("the launcher passes the command's exit status through", async () => {
  await expect(run(launcher, ["sh", "-c", "exit 7"])).rejects.toMatchObject({ code: 7 });
});

test("--publish makes a port inside the namespace reachable on the host's loopback", async () => {
  const port = await freePort();
  const server = `require("node:net").createServer((s) => s.end("hello from inside")).listen(${port}, "127.0.0.1", () => console.log("listening"))`;
  const child = spawn(launcher, ["--publish", String(port), process.execPath, "-e", server], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("listening")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`launcher exited with ${code}`)));
    });
    expect(await readWithRetry(port)).toBe("hello from inside");
  } finally {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
  // The relay on the host is gone with the launcher.
  await expect(read(port)).rejects.toThrow();
});

test("the container entrypoint sets quickack on a fresh namespace's loopback, and --check sees it", async () => {
  const script = `
    ip link set lo up
    if "$0" --check; then echo "unexpected: quickack before"; exit 3; fi
    "$0" sh -c 'ip route show table local; "$0" --check && echo checked' "$0"
  `;
  const { stdout } = await run("unshare", [
    "--user",
    "--map-root-user",
    "--net",
    "sh",
    "-c",
    script,
    entrypoint,
  ]);
  expectQuickack(stdout);
  expect(stdout.trim().split("\n").at(-1)).toBe("checked");
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

function read(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect(port, "127.0.0.1");
    socket.on("data", (chunk) => {
      text += chunk.toString();
    });
    socket.once("end", () => resolve(text));
    socket.once("error", reject);
  });
}

/** The relays may start a moment after the command inside. */
async function readWithRetry(port: number): Promise<string> {
  // Until both relay ends are up, a connection is refused or closed empty.
  for (let attempt = 1; ; attempt++) {
    try {
      const text = await read(port);
      if (text !== "" || attempt >= 20) return text;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
