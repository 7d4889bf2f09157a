// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} is the config syntax under test
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "./config.ts";

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "warden-config-test-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(text: string, env: NodeJS.ProcessEnv = {}) {
  const file = join(dir, "warden.yaml");
  await writeFile(file, text);
  return loadConfig({ file, env, cwd: dir });
}

describe("paths", () => {
  test("are relative to the config file, with defaults for storage, host and port", async () => {
    const config = await load(
      "policy:\n  global: policies/g.yaml\n  projects:\n    demo: /etc/p.yaml\ntokens:\n  token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' }\n",
    );
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 6420,
      storage: join(dir, ".warden-data"),
      policy: {
        global: { path: join(dir, "policies/g.yaml"), name: "policies/g.yaml" },
        projects: { demo: { path: "/etc/p.yaml" } },
      },
    });
  });

  test("WARDEN_PORT, WARDEN_HOST and WARDEN_STORAGE override the file", async () => {
    const config = await load(
      "port: 7000\ntokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' } }\n",
      {
        WARDEN_PORT: "7100",
        WARDEN_HOST: "0.0.0.0",
        WARDEN_STORAGE: "data",
      },
    );
    expect(config).toMatchObject({ port: 7100, host: "0.0.0.0", storage: join(dir, "data") });
  });
});

describe("tokens", () => {
  test("${VAR} takes the token from the environment", async () => {
    const config = await load(
      "tokens:\n  ${AGENT_TOKEN}: { id: a, role: agent, projects: [demo] }\n",
      {
        AGENT_TOKEN: "from-env-0123456789abcdefXYZ",
      },
    );
    expect(config.tokens).toEqual([
      {
        value: "from-env-0123456789abcdefXYZ",
        source: "$AGENT_TOKEN",
        dev: false,
        principal: { id: "a", role: "agent", projects: ["demo"], sessions: "*" },
      },
    ]);
  });

  test("a dev default is used only with WARDEN_DEV=1, and a set variable still wins", async () => {
    const text =
      "tokens:\n  ${AGENT_TOKEN:-dev-agent-token}: { id: a, role: agent, projects: [demo] }\n";
    await expect(load(text)).rejects.toMatchObject({ code: "unset_env" });
    await expect(load(text, { WARDEN_DEV: "true" })).rejects.toMatchObject({ code: "unset_env" });
    expect((await load(text, { WARDEN_DEV: "1" })).tokens[0]).toMatchObject({
      value: "dev-agent-token",
      dev: true,
    });
    expect((await load(text, { WARDEN_DEV: "1", AGENT_TOKEN: "real" })).tokens[0]).toMatchObject({
      value: "real",
      dev: false,
    });
  });

  test("WARDEN_DEV=1 is refused under NODE_ENV=production", async () => {
    await expect(
      load("tokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' } }\n", {
        WARDEN_DEV: "1",
        NODE_ENV: "production",
      }),
    ).rejects.toThrow("refusing to start with dev tokens in production");
  });

  test("WARDEN_TOKENS adds tokens; the same token twice is refused", async () => {
    const text = "tokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' } }\n";
    const config = await load(text, {
      WARDEN_TOKENS: JSON.stringify({
        "token-b-0123456789abcdefXYZ": { id: "b", role: "admin", projects: "*" },
      }),
    });
    expect(config.tokens.map((t) => [t.principal.id, t.source])).toEqual([
      ["a", "config file"],
      ["b", "WARDEN_TOKENS"],
    ]);
    await expect(
      load(text, {
        WARDEN_TOKENS: JSON.stringify({
          "token-a-0123456789abcdefXYZ": { id: "b", role: "admin", projects: "*" },
        }),
      }),
    ).rejects.toMatchObject({ code: "duplicate_token" });
  });

  test("one id stands for one principal: a second token of it must be the same principal", async () => {
    const text =
      "tokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: [p1] } }\n";
    const second = (principal: object) =>
      load(text, { WARDEN_TOKENS: JSON.stringify({ "token-b-0123456789abcdefXYZ": principal }) });
    // A rotation: two tokens, one principal (the default sessions spelled out or not).
    const rotated = await second({ id: "a", role: "agent", projects: ["p1"], sessions: "*" });
    expect(rotated.tokens.map((t) => t.principal.id)).toEqual(["a", "a"]);
    for (const other of [
      { id: "a", role: "agent", projects: ["p1"], sessions: ["s1"] },
      { id: "a", role: "approver", projects: ["p1"] },
      { id: "a", role: "agent", projects: ["p2"] },
    ]) {
      await expect(second(other)).rejects.toMatchObject({
        code: "duplicate_token",
        message: expect.stringContaining('the id "a" stands for two different principals'),
      });
    }
  });

  test("a malformed reference is an error, never a literal token", async () => {
    await expect(
      load("tokens:\n  ${AGENT_TOKEN: { id: a, role: agent, projects: [demo] }\n"),
    ).rejects.toMatchObject({ code: "invalid_config" });
    await expect(
      load("tokens:\n  x${AGENT_TOKEN}: { id: a, role: agent, projects: [demo] }\n"),
    ).rejects.toThrow("must be a whole ${VAR}");
  });

  test("no token at all is refused", async () => {
    await expect(load("port: 7000\n")).rejects.toMatchObject({ code: "no_tokens" });
  });
});

describe("faults in the file are located", () => {
  test("an unknown key names its line", async () => {
    await expect(load("port: 7000\npolicies: {}\n")).rejects.toThrow(
      /^warden\.yaml:2:\d+: Unrecognized key: "policies"/,
    );
  });

  test("a bad principal names line and column, without echoing the token", async () => {
    const error = await load(
      "tokens:\n  secret-token-1: { id: a, role: superuser, projects: [demo] }\n",
    ).catch((e: Error) => e);
    expect(error).toMatchObject({ code: "invalid_config" });
    expect((error as Error).message).toMatch(/^warden\.yaml:2:\d+: tokens\.<token>\.role: /);
    expect((error as Error).message).not.toContain("secret-token-1");
  });
});

describe("token strength", () => {
  test.each([
    ["short", "tok-123"],
    ["repetitive", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ["repeated word", "passwordpasswordpassword"],
    ["digits only", "123456789012345678901234"],
  ])("a %s token is refused outside WARDEN_DEV, without echoing it", async (_name, token) => {
    const text = `tokens: { ${token}: { id: a, role: agent, projects: '*' } }\n`;
    const error = await load(text).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "weak_token" });
    expect((error as Error).message).toContain('the token of "a"');
    expect((error as Error).message).not.toContain(token);
    await expect(load(text, { WARDEN_DEV: "1" })).resolves.toMatchObject({ dev: true });
  });

  test("weak tokens from the environment and WARDEN_TOKENS are refused too", async () => {
    await expect(
      load("tokens:\n  ${AGENT_TOKEN}: { id: a, role: agent, projects: '*' }\n", {
        AGENT_TOKEN: "secret",
      }),
    ).rejects.toMatchObject({ code: "weak_token" });
    await expect(
      load("", {
        WARDEN_TOKENS: JSON.stringify({ secret: { id: "b", role: "admin", projects: "*" } }),
      }),
    ).rejects.toMatchObject({ code: "weak_token" });
  });

  test("a weak internal token is refused outside WARDEN_DEV", async () => {
    const text = "tokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' } }\n";
    await expect(load(text, { WARDEN_INTERNAL_TOKEN: "internal" })).rejects.toMatchObject({
      code: "weak_token",
      message: expect.stringContaining("the internal token (from $WARDEN_INTERNAL_TOKEN)"),
    });
    await expect(
      load(text, { WARDEN_INTERNAL_TOKEN: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c" }),
    ).resolves.toMatchObject({ internalToken: { source: "$WARDEN_INTERNAL_TOKEN" } });
  });
});

describe("the front", () => {
  const TOKENS = "tokens: { token-a-0123456789abcdefXYZ: { id: a, role: agent, projects: '*' } }\n";

  test("allows the inbox dev server's origins by default; the engine sits on port + 1", async () => {
    const config = await load(`port: 7000\n${TOKENS}`);
    expect(config.allowedOrigins).toEqual(["http://127.0.0.1:5173", "http://localhost:5173"]);
    expect(config.enginePort).toBe(7001);
  });

  test("WARDEN_ALLOWED_ORIGINS overrides allowedOrigins", async () => {
    const config = await load(`allowedOrigins: [https://inbox.example]\n${TOKENS}`, {
      WARDEN_ALLOWED_ORIGINS: "https://a.example, http://b.example:8080",
    });
    expect(config.allowedOrigins).toEqual(["https://a.example", "http://b.example:8080"]);
  });

  test.each([
    ["a wildcard", "*"],
    ["null", "null"],
    ["a path", "https://inbox.example/app"],
    ["a trailing slash", "https://inbox.example/"],
    ["another scheme", "file:///inbox"],
    ["upper case, which browsers never send", "https://Inbox.example"],
  ])("refuses %s as an origin", async (_, origin) => {
    await expect(load(`allowedOrigins: ["${origin}"]\n${TOKENS}`)).rejects.toMatchObject({
      code: "invalid_config",
    });
  });

  test("refuses an enginePort whose ports collide with the front's", async () => {
    await expect(load(`port: 7010\nenginePort: 7000\n${TOKENS}`)).rejects.toMatchObject({
      code: "invalid_config",
    });
  });
});
