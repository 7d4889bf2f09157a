import { RivetError, UserError } from "rivetkit";
import { afterEach, describe, expect, test } from "vitest";
import {
  closedStorageCode,
  onStorageFault,
  type StorageFault,
  watchStorage,
} from "./storage-fault.ts";

// The shapes RivetKit 2.3.19 raises into an action (its RivetError, decoded from the native
// bridge), with the codes its runners logged for actors on closed storage (docs/deploy.md).
const closed = new RivetError(
  "sqlite",
  "transaction_closed",
  "SQLite transaction coordinator is closed.",
);
const notReady = new RivetError("actor", "database_client_not_ready", "not ready");

const seen: StorageFault[] = [];
onStorageFault((fault) => seen.push(fault));
afterEach(() => {
  seen.length = 0;
});

describe("closedStorageCode", () => {
  test("knows the closed-storage codes, in the error or its causes", () => {
    expect(closedStorageCode(closed)).toBe("sqlite/transaction_closed");
    expect(
      closedStorageCode(new RivetError("sqlite", "closed", "SQLite database is closed.")),
    ).toBe("sqlite/closed");
    expect(closedStorageCode(notReady)).toBe("actor/database_client_not_ready");
    expect(closedStorageCode(new Error("wrapped", { cause: closed }))).toBe(
      "sqlite/transaction_closed",
    );
  });

  test("anything else is not closed storage", () => {
    for (const error of [
      new UserError("no", { code: "closed" }),
      new RivetError("core", "internal_error", "x"),
      new Error("Database is closed."),
      "sqlite/closed",
      undefined,
      null,
    ])
      expect(closedStorageCode(error)).toBeUndefined();
  });
});

describe("watchStorage", () => {
  test("reports a rejection with closed storage and rejects the same way", async () => {
    await expect(
      watchStorage(
        () => "a1",
        async () => Promise.reject(closed),
      ),
    ).rejects.toBe(closed);
    expect(seen).toMatchObject([{ actorId: "a1", code: "sqlite/transaction_closed" }]);
  });

  test("reports a synchronous throw and rethrows it", () => {
    expect(() =>
      watchStorage(
        () => "a2",
        () => {
          throw notReady;
        },
      ),
    ).toThrow(notReady);
    expect(seen).toMatchObject([{ actorId: "a2", code: "actor/database_client_not_ready" }]);
  });

  test("results and other errors pass through unreported", async () => {
    expect(
      watchStorage(
        () => "a",
        () => 7,
      ),
    ).toBe(7);
    await expect(
      watchStorage(
        () => "a",
        async () => 8,
      ),
    ).resolves.toBe(8);
    const refusal = new UserError("no", { code: "forbidden" });
    await expect(
      watchStorage(
        () => "a",
        async () => Promise.reject(refusal),
      ),
    ).rejects.toBe(refusal);
    expect(seen).toEqual([]);
  });

  test("a context that refuses its id still reports", async () => {
    const id = () => {
      throw new Error("actor gone");
    };
    await expect(watchStorage(id, async () => Promise.reject(closed))).rejects.toBe(closed);
    expect(seen).toMatchObject([{ actorId: "unknown" }]);
  });

  test("a listener stops hearing once removed", async () => {
    const other: StorageFault[] = [];
    const remove = onStorageFault((fault) => other.push(fault));
    remove();
    await expect(
      watchStorage(
        () => "a",
        async () => Promise.reject(closed),
      ),
    ).rejects.toBe(closed);
    expect(other).toEqual([]);
    expect(seen).toHaveLength(1);
  });
});
