import { isScalar, LineCounter, type Node, parseDocument as parseYaml } from "yaml";
import type { PolicySource } from "./compile.ts";
import { parseDocument } from "./compile.ts";
import { PolicyError } from "./errors.ts";

/** Options for reading a policy file's text. */
export interface LoadOptions {
  /** File name used in error locations and decisions. */
  readonly file?: string;
}

/**
 * Reads a YAML or JSON policy document from text and validates it, keeping source positions so
 * that later compile errors can name the line and column of a faulty pattern.
 * @example compilePolicy({ project: parsePolicyText(readFileSync(f, "utf8"), { file: f }) })
 */
export function parsePolicyText(text: string, options: LoadOptions = {}): PolicySource {
  const file = options.file;
  const lineCounter = new LineCounter();
  const document = parseYaml(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => {
    const position = lineCounter.linePos(offset);
    return { line: position.line, column: position.col };
  };
  const error = document.errors[0];
  if (error) {
    throw new PolicyError("invalid_syntax", error.message.split("\n")[0]!, {
      ...(file ? { file } : {}),
      ...at(error.pos[0]),
    });
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 }) ?? {};
  const nodeAt = (path: readonly PropertyKey[]) =>
    document.getIn(path as unknown[], true) as Node | undefined;
  let parsed: ReturnType<typeof parseDocument>;
  try {
    parsed = parseDocument(value, file ? { file } : {});
  } catch (caught) {
    if (!(caught instanceof PolicyError) || !caught.location.path) throw caught;
    const path = caught.location.path
      .split(".")
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    let node = nodeAt(path);
    while (path.length > 1 && !node?.range) {
      path.pop();
      node = nodeAt(path);
    }
    throw node?.range ? caught.locate(at(node.range[0])) : caught;
  }
  return {
    document: parsed,
    ...(file ? { file } : {}),
    locate(ruleIndex) {
      const node = nodeAt(["rules", ruleIndex, "tool"]);
      if (!node?.range) return undefined;
      const position = at(node.range[0]);
      const quoted =
        isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE");
      return quoted ? { line: position.line, column: position.column + 1 } : position;
    },
  };
}
