import { expect, test } from "vitest";
import { credentialsDigest, listenerTrust, refusal, sameCredentials } from "./http-guard.ts";

const loopback = listenerTrust("127.0.0.1", 7333);

test.each([["127.0.0.1:7333"], ["localhost:7333"], ["LOCALHOST:7333"], ["[::1]:7333"]])(
  "a loopback listener answers Host %s",
  (host) => {
    expect(refusal({ host }, loopback)).toBeUndefined();
  },
);

test.each([
  [undefined],
  ["evil.example:7333"],
  ["evil.example"],
  ["127.0.0.1"],
  ["127.0.0.1:7334"],
  ["localhost.evil.example:7333"],
  ["127.0.0.1:7333.evil.example"],
  [["127.0.0.1:7333", "evil.example:7333"]],
])("a request with Host %j is refused (DNS rebinding)", (host) => {
  expect(refusal({ host }, loopback)).toMatch(/Host/);
});

test.each([
  ["http://evil.example"],
  ["null"],
  ["http://localhost:7334"],
  ["https://127.0.0.1:7333"],
  ["http://127.0.0.1:7333.evil.example"],
])("a request with Origin %s is refused (cross-origin)", (origin) => {
  expect(refusal({ host: "127.0.0.1:7333", origin }, loopback)).toMatch(/Origin/);
});

test("the listener's own origin and no origin at all (not a browser) are served", () => {
  expect(refusal({ host: "127.0.0.1:7333", origin: "http://127.0.0.1:7333" }, loopback)).toBe(
    undefined,
  );
  expect(refusal({ host: "localhost:7333" }, loopback)).toBeUndefined();
});

test("a wildcard listener answers loopback names and the allowed ones only", () => {
  const trust = listenerTrust("0.0.0.0", 80, ["gateway.internal"]);
  expect(refusal({ host: "gateway.internal" }, trust)).toBeUndefined();
  expect(refusal({ host: "gateway.internal:80" }, trust)).toBeUndefined();
  expect(refusal({ host: "localhost" }, trust)).toBeUndefined();
  expect(refusal({ host: "0.0.0.0:80" }, trust)).toMatch(/Host/);
  expect(refusal({ host: "evil.example" }, trust)).toMatch(/Host/);
});

test("an IPv6 listener answers its bracketed address", () => {
  const trust = listenerTrust("::1", 9000);
  expect(refusal({ host: "[::1]:9000" }, trust)).toBeUndefined();
  expect(refusal({ host: "::1:9000" }, trust)).toMatch(/Host/);
});

test("a refusal quotes the attacker's header bounded, on one line", () => {
  const why = refusal({ host: `\u0007\n${"a".repeat(500)}` }, loopback)!;
  expect(why.length).toBeLessThan(200);
  expect(why).not.toContain("\u0007");
  expect(why).not.toContain("\n");
});

test("credentials digests differ by any header value and agree regardless of order", () => {
  const a = credentialsDigest(
    new Headers([
      ["authorization", "Bearer a"],
      ["x-api-key", "k"],
    ]),
  );
  const b = credentialsDigest(
    new Headers([
      ["x-api-key", "k"],
      ["authorization", "Bearer a"],
    ]),
  );
  expect(sameCredentials(a, b)).toBe(true);
  for (const other of [
    new Headers([
      ["authorization", "Bearer b"],
      ["x-api-key", "k"],
    ]),
    new Headers([["authorization", "Bearer a"]]),
    new Headers(),
    new Headers([
      ["authorization", "Bearer a"],
      ["x-api-key", "k2"],
    ]),
  ])
    expect(sameCredentials(a, credentialsDigest(other))).toBe(false);
});
