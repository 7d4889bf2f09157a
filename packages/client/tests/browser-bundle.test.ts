import { builtinModules } from "node:module";
import { expect, test } from "vitest";
import { bundleForBrowser } from "./fixtures/browser-bundle.ts";

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

test("the client bundles for the browser without Node builtins", async () => {
  const result = await bundleForBrowser();
  expect(result.errors).toEqual([]);
  const imports = Object.values(result.metafile.inputs).flatMap((input) =>
    input.imports.map((i) => i.path),
  );
  expect(imports.filter((path) => NODE_BUILTINS.has(path))).toEqual([]);
  const inputs = Object.keys(result.metafile.inputs);
  // Of the server, only the runtime-free protocol module (codes, ids, the decision mapping).
  expect(inputs.filter((path) => /(^|\/)server\/src\//.test(path))).toEqual([
    expect.stringMatching(/server\/src\/protocol\.ts$/),
  ]);
  expect(inputs.some((path) => /(^|\/)rules\/src\//.test(path))).toBe(true);
  const size = result.outputFiles[0]!.contents.byteLength;
  expect(size).toBeGreaterThan(10_000);
}, 60_000);
