import type { PermissionRequest } from "@warden/client";
import { describe, expect, test } from "vitest";
import type { Card } from "./inbox-state.ts";
import { keyAction } from "./keyboard.ts";

const card = (id: string, phase: Card["phase"] = "open"): Card => ({
  request: { permissionId: id } as PermissionRequest,
  phase,
});

describe("keyAction", () => {
  const cards = [card("a"), card("b", "settled"), card("c"), card("d", "sending")];
  test("j and k move over open cards only, from the selected card's place", () => {
    expect(keyAction("j", cards, null)).toEqual({ kind: "select", permissionId: "a" });
    expect(keyAction("k", cards, null)).toEqual({ kind: "select", permissionId: "c" });
    expect(keyAction("j", cards, "a")).toEqual({ kind: "select", permissionId: "c" });
    expect(keyAction("j", cards, "c")).toEqual({ kind: "select", permissionId: "c" });
    expect(keyAction("k", cards, "b")).toEqual({ kind: "select", permissionId: "a" });
    expect(keyAction("j", cards, "b")).toEqual({ kind: "select", permissionId: "c" });
  });
  test("an action needs a selected card that is still open", () => {
    expect(keyAction("o", cards, null)).toMatchObject({ kind: "note" });
    expect(keyAction("o", cards, "b")).toMatchObject({ kind: "note" });
    expect(keyAction("o", cards, "d")).toMatchObject({ kind: "note" });
    expect(keyAction("o", cards, "gone")).toMatchObject({ kind: "note" });
    expect(keyAction("r", cards, "c")).toEqual({ kind: "reject", permissionId: "c" });
    expect(keyAction("x", cards, "c")).toBe(null);
  });
});
