import { isScalar, LineCounter, type Node, parseDocument as parseYaml, type Scalar } from "yaml";
import { parseDocument } from "./compile.ts";
import { PolicyError } from "./errors.ts";
import { type PolicySource, policySource, type SourcePosition } from "./source.ts";

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
  const at = (offset: number): SourcePosition => {
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
  /** The position of the value at `path`, or of its nearest located ancestor. */
  const nearest = (path: readonly (string | number)[]): SourcePosition | undefined => {
    const rest = [...path];
    let node = nodeAt(rest);
    while (rest.length > 1 && !node?.range) {
      rest.pop();
      node = nodeAt(rest);
    }
    return node?.range ? at(node.range[0]) : undefined;
  };

  let parsed: ReturnType<typeof parseDocument>;
  try {
    parsed = parseDocument(value, file ? { file } : {});
  } catch (caught) {
    if (!(caught instanceof PolicyError) || !caught.location.path) throw caught;
    const path = caught.location.path
      .split(".")
      .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
    const issues = caught.issues?.map((issue) => ({ ...issue, ...nearest(issue.path) }));
    const located = new PolicyError(caught.code, caught.detail, caught.location, issues);
    const position = nearest(path);
    throw position ? located.locate(position) : located;
  }

  return policySource(parsed, {
    ...(file ? { file } : {}),
    locate(ruleIndex) {
      const node = nodeAt(["rules", ruleIndex, "tool"]);
      if (!node?.range) return undefined;
      const position = at(node.range[0]);
      return isQuoted(node) ? { line: position.line, column: position.column + 1 } : position;
    },
    locatePath(path, offset) {
      const node = nodeAt(path);
      if (!node?.range) return undefined;
      if (offset === undefined || !isScalar(node)) return at(node.range[0]);
      const inside = offsetInScalar(node, text, offset);
      return at(inside ?? node.range[0] + (isQuoted(node) ? 1 : 0));
    },
  });
}

function isQuoted(node: Node): boolean {
  return isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE");
}

/**
 * The offset in the file text of character `offset` of a one-line scalar's value, counting the
 * escapes of its quoting style; undefined for block and multi-line scalars.
 */
function offsetInScalar(node: Scalar, text: string, offset: number): number | undefined {
  const [start, end] = node.range!;
  const raw = text.slice(start, end);
  if (/[\r\n]/.test(raw)) return undefined;
  if (node.type === "PLAIN") return raw === String(node.value) ? start + offset : undefined;
  if (node.type !== "QUOTE_DOUBLE" && node.type !== "QUOTE_SINGLE") return undefined;
  let at = 1;
  for (let produced = 0; produced < offset; ) {
    if (at >= raw.length - 1) return undefined;
    const c = raw[at];
    if (node.type === "QUOTE_SINGLE" || c !== "\\") {
      at += node.type === "QUOTE_SINGLE" && c === "'" ? 2 : 1;
      produced += 1;
      continue;
    }
    const kind = raw[at + 1];
    if (kind === "x") at += 4;
    else if (kind === "u") at += 6;
    else if (kind === "U") {
      const codePoint = Number.parseInt(raw.slice(at + 2, at + 10), 16);
      at += 10;
      produced += codePoint > 0xffff ? 1 : 0;
    } else at += 2;
    produced += 1;
  }
  return start + at;
}
