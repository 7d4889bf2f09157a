// The runner's storage gate through a real server: with its one slot held (a slow hook decides
// inside it), other writing calls wait, and past the queue deadline are refused before they
// change anything; a retry afterwards is decided once.
import { policySource } from "@warden/rules";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type RunningWarden, startWarden } from "./warden-harness.ts";

let warden: RunningWarden;
let hookStarted!: () => void;

beforeAll(async () => {
  warden = await startWarden({
    hookBudgetMs: 5_000,
    storage: { writesInFlight: 1, writeQueueMs: 300 },
    policy: {
      defaultProject: policySource({
        default_behavior: "ask",
        ask: { timeout_seconds: 60 },
        rules: [{ tool: "Read", behavior: "allow" }],
      }),
    },
    onPermissionRequest: async (_c, _sessionId, request) => {
      if (request.input.command !== "hold") return;
      hookStarted();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
    },
  });
});

afterAll(async () => {
  await warden?.stop();
});

const read = (requestId: string) => ({
  requestId,
  toolName: "Read",
  input: { file_path: "/repo/a" },
});
const bash = (requestId: string, command: string) => ({
  requestId,
  toolName: "Bash",
  input: { command },
  waitMs: 0,
});

test("past the queue deadline a call is refused as retryable and changes nothing; its retry is decided once", async () => {
  const holder = warden.session("agent", "shed-hold");
  const other = warden.session("agent", "shed-other");
  const approver = warden.session("approver", "shed-hold");
  const auditor = warden.session("admin", "shed-other");
  // Wake both sessions and open an ask to reply to, before the slot is taken.
  await other.requestPermission(read("warm"));
  const open = await holder.requestPermission(bash("to-answer", "deploy"));
  expect(open.status).toBe("pending");
  const permissionId = (open as { permissionId: string }).permissionId;

  const started = new Promise<void>((resolve) => (hookStarted = resolve));
  const held = holder.requestPermission(bash("held", "hold"));
  await started;

  const refusedCall = await other.requestPermission(read("refused")).catch((e: unknown) => e);
  const refusedReply = await approver
    .respondPermission("shed-hold", permissionId, "once")
    .catch((e: unknown) => e);
  for (const refused of [refusedCall, refusedReply]) {
    // Not a user error: the SDK retries it (client errors.ts `isTransient`).
    expect(refused).toMatchObject({ code: "internal_error" });
    expect((refused as { group?: string }).group).not.toBe("user");
  }
  // Nothing of the refused calls happened.
  const history = await auditor.getHistory();
  expect(history.entries.map((e) => e.requestId)).toEqual(["warm"]);
  expect((await auditor.getUsage()).turns).toBe(1);
  expect((await approver.getRequest(permissionId)).status).toBe("pending");

  expect((await held).status).toBe("pending");
  // The slot is free again: the retries go through, each decided once.
  expect(await other.requestPermission(read("refused"))).toMatchObject({
    status: "decided",
    decision: { behavior: "allow" },
  });
  expect(await other.requestPermission(read("refused"))).toMatchObject({ status: "decided" });
  const reply = await approver.respondPermission("shed-hold", permissionId, "once");
  expect(reply.resolution).toMatchObject({ outcome: "allow", decidedBy: { id: "alice" } });
  expect((await auditor.getHistory()).entries.map((e) => e.requestId).sort()).toEqual([
    "refused",
    "warm",
  ]);
  expect((await auditor.getUsage()).turns).toBe(2);
}, 60_000);
