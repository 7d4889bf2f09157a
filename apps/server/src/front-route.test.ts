import { describe, expect, test } from "vitest";
import { type FrontRoute, routeOf } from "./front-route.ts";

const Q = "rvt-namespace=default&rvt-method=getOrCreate&rvt-runner=default&rvt-crash-policy=sleep";

/** Request targets and how the front must read them; the engine reads them the same way or not at all. */
const CASES: readonly [string, string, string, FrontRoute["kind"], Partial<FrontRoute>?][] = [
  [
    "the client's getOrCreate",
    "POST",
    `/gateway/permissionSession/action/listPending?${Q}&rvt-key=p1,s`,
    "actor-by-key",
    { name: "permissionSession", key: ["p1", "s"], method: "getOrCreate" },
  ],
  [
    "the client's get",
    "GET",
    "/gateway/wardenProject/connect?rvt-namespace=default&rvt-method=get&rvt-key=p1",
    "actor-by-key",
    { name: "wardenProject", key: ["p1"], method: "get" },
  ],
  [
    "an encoded name",
    "POST",
    `/gateway/permission%53ession/action/x?${Q}&rvt-key=p1,s`,
    "actor-by-key",
    { name: "permissionSession" },
  ],
  [
    "an encoded key separator",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt-key=other%2Cs`,
    "actor-by-key",
    { key: ["other", "s"] },
  ],
  [
    "a + in a key",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt-key=p1,a+b`,
    "actor-by-key",
    { key: ["p1", "a b"] },
  ],
  ["no key", "POST", `/gateway/permissionSession/x?${Q}`, "actor-by-key", { key: [] }],
  [
    "actor query parameters besides",
    "POST",
    `/gateway/permissionSession/request/x?a=1&${Q}&rvt-key=p1,s&b=2`,
    "actor-by-key",
  ],
  [
    "a capitalised gateway parameter",
    "POST",
    `/gateway/permissionSession/x?${Q}&RVT-key=p1,s`,
    "malformed",
  ],
  [
    "an encoded gateway parameter name",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt%2Dkey=p1,s`,
    "malformed",
  ],
  [
    "a parameter given twice",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt-key=p1,s&rvt-key=p2,s`,
    "malformed",
  ],
  [
    "an unknown gateway parameter",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt-keys=p1,s`,
    "malformed",
  ],
  [
    "an unknown method",
    "POST",
    "/gateway/permissionSession/x?rvt-namespace=default&rvt-method=create&rvt-key=p1,s",
    "malformed",
  ],
  [
    "no method",
    "POST",
    "/gateway/permissionSession/x?rvt-namespace=default&rvt-key=p1,s",
    "malformed",
  ],
  [
    "a token in a named path",
    "POST",
    `/gateway/permissionSession@tok/x?${Q}&rvt-key=p1,s`,
    "malformed",
  ],
  ["no name", "POST", `/gateway?${Q}&rvt-key=p1,s`, "malformed"],
  [
    "a badly encoded value",
    "POST",
    `/gateway/permissionSession/x?${Q}&rvt-key=%E0%A4%A`,
    "malformed",
  ],
  ["a fragment", "POST", `/gateway/permissionSession/x?${Q}&rvt-key=p1,s#x`, "malformed"],
  [
    "an absolute-form target",
    "POST",
    `http://127.0.0.1/gateway/permissionSession/x?${Q}&rvt-key=p1,s`,
    "malformed",
  ],
  ["an actor by id", "POST", "/gateway/abc123/action/listPending", "actor-by-id"],
  ["an actor by id with a token", "GET", "/gateway/abc123@tok/connect", "actor-by-id"],
  ["an actor by id with its own query", "GET", "/gateway/abc123/request/x?a=1", "actor-by-id"],
  ["an id with an empty token", "GET", "/gateway/abc123@/connect", "engine"],
  ["an empty id with a token", "GET", "/gateway/@tok/connect", "engine"],
  ["the gateway root", "GET", "/gateway", "engine"],
  ["a double slash", "POST", `/gateway//permissionSession/x?${Q}&rvt-key=p1,s`, "engine"],
  ["the actors API", "GET", "/actors?namespace=default", "engine"],
  ["an actor delete", "DELETE", "/actors/abc?namespace=default", "engine"],
  ["a runner route", "GET", "/envoys/connect", "engine"],
  ["a header-routed call", "POST", "/action/listPending", "engine"],
  ["metadata", "GET", "/metadata", "public"],
  ["health", "GET", "/health", "health"],
  ["metadata by POST", "POST", "/metadata", "engine"],
];

describe("routeOf", () => {
  test.each(CASES)("%s", (_name, method, target, kind, fields) => {
    const route = routeOf(method, target);
    expect(route.kind).toBe(kind);
    if (fields) expect(route).toMatchObject(fields);
  });
});
