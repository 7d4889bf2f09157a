// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "./config.ts";
import { redactConfig } from "./describe.ts";
import { engineRefusal } from "./engine-config.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-engine-config-test-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TOKENS =
  "tokens: { agent-Zq7Vt3Lp9Xw2Rk5Nb8Hc4Jd6Mf: { id: a, role: agent, projects: '*' } }\n";

async function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, "warden.yaml");
  await writeFile(file, TOKENS + text);
  return loadConfig({ file, env, cwd: dir });
}

describe("embedded engine", () => {
  test("is the default, with or without an empty engine section", async () => {
    expect((await load("")).engine).toEqual({ mode: "embedded" });
    expect((await load("engine: {}\n")).engine).toEqual({ mode: "embedded" });
  });

  test("an engine token or namespace without an endpoint is refused, not ignored", async () => {
    await expect(
      load("", { WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc" }),
    ).rejects.toMatchObject({
      code: "invalid_config",
    });
    await expect(load("engine: { token: x }\n")).rejects.toThrow(/Unrecognized key: "token"/);
  });
});

describe("external engine", () => {
  test("takes endpoint, namespace and token (from ${VAR}) from the file", async () => {
    const config = await load(
      "internalToken: ${INTERNAL}\nengine:\n  endpoint: http://lb:6420/\n  namespace: team-a\n  token: ${RIVET_TOKEN}\n  version: 3\n",
      {
        RIVET_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
        INTERNAL: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      },
    );
    expect(config.engine).toEqual({
      mode: "external",
      endpoint: "http://lb:6420",
      namespace: "team-a",
      token: { value: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc", source: "$RIVET_TOKEN", dev: false },
      version: 3,
    });
  });

  test("WARDEN_ENGINE_* select it without a file section; the namespace defaults to default", async () => {
    const config = await load("", {
      WARDEN_ENGINE_ENDPOINT: "https://engine.example:443",
      WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
      WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
    });
    expect(config.engine).toMatchObject({
      mode: "external",
      endpoint: "https://engine.example",
      namespace: "default",
    });
  });

  test("needs the shared internal token, or runners would refuse each other's calls", async () => {
    await expect(
      load("", {
        WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
        WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
      }),
    ).rejects.toThrow(/needs internalToken/);
  });

  test("needs a token, and names the missing field", async () => {
    await expect(load("engine: { endpoint: http://lb:6420 }\n")).rejects.toThrow(
      /^warden\.yaml:2:\d+: engine\.token: /,
    );
    await expect(
      load("", {
        WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
        WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      }),
    ).rejects.toThrow(/WARDEN_ENGINE_TOKEN/);
  });

  test("an unset token variable stops the start", async () => {
    await expect(
      load("engine:\n  endpoint: http://lb:6420\n  token: ${NOPE}\n", {
        WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      }),
    ).rejects.toMatchObject({ code: "unset_env" });
  });

  test.each([
    ["credentials in the URL", "http://default:secret@lb:6420", /must not carry credentials/],
    ["not a URL", "lb:6420", /http or https|not a URL/],
    ["a websocket URL", "ws://lb:6420", /http or https/],
    ["a query", "http://lb:6420/?namespace=x", /query/],
  ])("an endpoint with %s is refused", async (_, endpoint, message) => {
    const error = await load("", {
      WARDEN_ENGINE_ENDPOINT: endpoint,
      WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
      WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
    }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "invalid_config" });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("secret");
  });

  test("a bad namespace is refused", async () => {
    await expect(
      load("", {
        WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
        WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
        WARDEN_ENGINE_NAMESPACE: "Team A",
        WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      }),
    ).rejects.toMatchObject({ code: "invalid_config" });
  });

  test("the engine token may not double as a Warden token", async () => {
    await expect(
      load("", {
        WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
        WARDEN_ENGINE_TOKEN: "agent-Zq7Vt3Lp9Xw2Rk5Nb8Hc4Jd6Mf",
        WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      }),
    ).rejects.toMatchObject({ code: "duplicate_token" });
  });

  test("a weak engine token is refused outside WARDEN_DEV", async () => {
    await expect(
      load("", {
        WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
        WARDEN_ENGINE_TOKEN: "engine",
        WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
      }),
    ).rejects.toMatchObject({ code: "weak_token" });
  });

  test("--print-config redacts the engine token", async () => {
    const config = await load("", {
      WARDEN_ENGINE_ENDPOINT: "http://lb:6420",
      WARDEN_ENGINE_TOKEN: "engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc",
      WARDEN_INTERNAL_TOKEN: "internal-Fj3Nc8Vq5Rz2Mw7Tb4Xk9Gs6Ld",
    });
    const shown = JSON.stringify(redactConfig(config));
    expect(shown).not.toContain("engine-Tg4Wm8Qs2Yv6Bn3Kx9Lr5Pd7Hc");
    expect(shown).toContain("<redacted: $WARDEN_ENGINE_TOKEN>");
    expect(redactConfig(config)).toMatchObject({ endpoint: "http://lb:6420" });
  });
});

test("an engine's 403 becomes a start error naming the token's source, quoting no token", () => {
  const engine = {
    endpoint: "http://lb:6420",
    token: { value: "the-secret-0123456789", source: "$WARDEN_ENGINE_TOKEN" },
  };
  const raw = new Error(
    '__RIVET_ERROR_JSON__:{"metadata":{"error":"failed to get local datacenters for runner config: 403 Forbidden {\\"message\\":\\"Access denied: Invalid token\\"}"}}',
  );
  const error = engineRefusal(raw, engine);
  expect(error?.code).toBe("engine_refused");
  expect(error?.message).toContain("http://lb:6420");
  expect(error?.message).toContain("$WARDEN_ENGINE_TOKEN");
  expect(error?.message).not.toContain("the-secret");
  expect(engineRefusal(new Error("connect ECONNREFUSED 127.0.0.1:6420"), engine)).toBeUndefined();
});
