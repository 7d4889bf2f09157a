import { expect, test } from "vitest";
import { groupCommit } from "./group-commit.ts";

test("callers during a flush share the next one, and each sees what it wrote flushed", async () => {
  const written: number[] = [];
  const flushed: number[][] = [];
  let release: () => void = () => undefined;
  const persist = groupCommit(async () => {
    const batch = written.splice(0);
    await new Promise<void>((resolve) => {
      release = resolve;
    });
    flushed.push(batch);
  });
  written.push(1);
  const first = persist();
  await Promise.resolve();
  await Promise.resolve();
  written.push(2);
  const second = persist();
  written.push(3);
  const third = persist();
  expect(third).toBe(second);
  release();
  await first;
  await new Promise((resolve) => setTimeout(resolve, 0));
  release();
  await Promise.all([second, third]);
  expect(flushed).toEqual([[1], [2, 3]]);
});

test("a failed flush fails its callers and the next round runs", async () => {
  let fail = true;
  const persist = groupCommit(async () => {
    if (fail) throw new Error("storage down");
  });
  await expect(persist()).rejects.toThrow("storage down");
  fail = false;
  await expect(persist()).resolves.toBeUndefined();
});
