import {
  assessBreadth,
  compilePolicy,
  lintPattern,
  type PolicyDocument,
  PolicyError,
  type PolicySource,
  parsePolicyText,
  policySource,
  type RuleEntry,
} from "@warden/rules";
import { byPosition, type Diagnostic, diagnoseError } from "./diagnostic.ts";

/** A document holding some of a file's rules, whose rules are still located at their lines. */
function withRules(
  source: PolicySource,
  document: PolicyDocument,
  indices: readonly number[],
): PolicySource {
  return policySource(document, {
    ...(source.file ? { file: source.file } : {}),
    locate: (index) => {
      const original = indices[index];
      return original === undefined ? undefined : source.locate?.(original);
    },
    locatePath: (path, offset) => {
      const [first, index, ...rest] = path;
      if (first !== "rules" || typeof index !== "number") return source.locatePath?.(path, offset);
      const original = indices[index];
      return original === undefined
        ? undefined
        : source.locatePath?.(["rules", original, ...rest], offset);
    },
  });
}

/**
 * Lints one policy file's text: every faulty rule (pattern, regex, glob, failing inline example),
 * then document-level faults, then breadth warnings for allow rules.
 */
export function lintPolicyText(text: string, file: string): Diagnostic[] {
  let source: PolicySource;
  try {
    source = parsePolicyText(text, { file });
  } catch (error) {
    return [diagnoseError(error, file)];
  }
  const rules = (source.document.rules ?? []) as readonly RuleEntry[];
  const diagnostics: Diagnostic[] = [];
  const sound: number[] = [];
  const tools = source.document.tools;
  rules.forEach((entry, index) => {
    try {
      // Alone with the file's tool table, so that one faulty rule does not hide the next.
      const alone = { ...(tools ? { tools } : {}), rules: [entry] };
      compilePolicy({ project: withRules(source, alone, [index]) });
      sound.push(index);
    } catch (error) {
      diagnostics.push(diagnoseError(error, file, index));
    }
  });

  try {
    const document = { ...source.document, rules: sound.map((index) => rules[index]!) };
    compilePolicy({ project: withRules(source, document, sound) });
  } catch (error) {
    const index = error instanceof PolicyError ? error.location.rule : undefined;
    diagnostics.push(
      diagnoseError(error, file, index === undefined ? null : (sound[index] ?? null)),
    );
  }

  for (const index of sound) {
    const entry = rules[index]!;
    for (const warning of lintPattern(entry.tool)) {
      const at =
        source.locatePath?.(["rules", index, "tool"], warning.patternColumn - 1) ??
        source.locate?.(index);
      diagnostics.push({
        severity: "warning",
        code: warning.code,
        message: `${entry.tool} — ${warning.message}`,
        file,
        ...(at ? { line: at.line, column: at.column } : {}),
        rule: index,
      });
    }
    if (entry.behavior !== "allow") continue;
    const position = source.locate?.(index);
    for (const warning of assessBreadth(entry.tool)) {
      diagnostics.push({
        severity: "warning",
        code: `breadth:${warning.code}`,
        message: `${entry.tool} — ${warning.message}`,
        file,
        ...(position ? { line: position.line, column: position.column } : {}),
        rule: index,
      });
    }
  }
  return diagnostics.sort(byPosition);
}
