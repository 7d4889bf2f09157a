import { expect, test } from "vitest";
import { MAX_SPARSE_IDS, RequestIdLedger } from "./request-ids.ts";

test("an id is taken once per session, whatever its type; 1 and '1' are two ids", () => {
  const ledger = new RequestIdLedger();
  expect(ledger.claim([0])).toBeUndefined();
  expect(ledger.claim([1, "1", "a"])).toBeUndefined();
  for (const id of [0, 1, "1", "a"]) expect(ledger.claim([id])).toEqual({ kind: "reused", id });
  expect(ledger.claim([2])).toBeUndefined();
});

test("a body that reuses one id claims none of its ids; one naming an id twice is refused", () => {
  const ledger = new RequestIdLedger();
  ledger.claim([5]);
  expect(ledger.claim([6, 5])).toEqual({ kind: "reused", id: 5 });
  expect(ledger.claim([6])).toBeUndefined();
  expect(ledger.claim(["x", 7, "x"])).toEqual({ kind: "reused", id: "x" });
  expect(ledger.claim(["x", 7])).toBeUndefined();
});

test("ids out of order, gaps and negative or fractional ids are all remembered", () => {
  const ledger = new RequestIdLedger();
  for (const id of [10, 12, 11, 9, 20, -3, 1.5, 2 ** 60])
    expect(ledger.claim([id])).toBeUndefined();
  for (const id of [9, 10, 11, 12, 20, -3, 1.5, 2 ** 60])
    expect(ledger.claim([id])).toEqual({ kind: "reused", id });
  expect(ledger.claim([13])).toBeUndefined();
});

test("a counting client stays compact: 100,000 ids hold no sparse entry and leave room", () => {
  const ledger = new RequestIdLedger();
  for (let id = 0; id < 100_000; id++) ledger.claim([id]);
  expect(ledger.claim([99_999])).toEqual({ kind: "reused", id: 99_999 });
  for (let i = 0; i < MAX_SPARSE_IDS; i++) expect(ledger.claim([`s${i}`])).toBeUndefined();
  // Full: the session takes no new request (fail closed), and still knows every id.
  expect(ledger.claim(["another"])).toEqual({ kind: "full" });
  expect(ledger.claim(["s0"])).toEqual({ kind: "reused", id: "s0" });
});

test("released ids (a request refused before anything saw it) may be sent again", () => {
  const ledger = new RequestIdLedger();
  ledger.claim([0, 1, 2]);
  ledger.claim(["r", 9]);
  ledger.release([2, "r", 9]);
  expect(ledger.claim([2, "r", 9])).toBeUndefined();
  // An id inside the run is never given back (the run is not split): still refused.
  ledger.release([1]);
  expect(ledger.claim([1])).toEqual({ kind: "reused", id: 1 });
});
