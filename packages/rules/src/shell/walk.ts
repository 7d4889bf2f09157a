import {
  type AndOr,
  type Command,
  type CompoundCommand,
  type CompoundList,
  type Coproc,
  type Elif,
  type Function as FunctionNode,
  forEachChild,
  type HereDocBody,
  type ParsedScript,
  type Pipeline,
  type PipelineNode,
  parse,
  type Redirected,
  type Redirection,
  type Statement,
  type SyntaxNode,
} from "unbash";
import { isLiteralArithmetic } from "./arithmetic.ts";
import type { Collector } from "./collector.ts";
import { runCommand } from "./command.ts";
import {
  checkArithmeticExpansion,
  checkAssignment,
  checkParameter,
  checkTest,
} from "./expansions.ts";
import { isDangerousName } from "./names.ts";
import { recordRedirect } from "./redirects.ts";
import { changeDir, forkScope, type Scope, scopeMoved } from "./scope.ts";
import { type Input, inputUse, namesInput } from "./stdin-code.ts";
import type { ShellUncertainty } from "./types.ts";
import { type Arg, assignmentArg, wordArg } from "./words.ts";

type WalkNode = PipelineNode | AndOr | CompoundList;
type NestedNode = CompoundCommand | FunctionNode | Coproc;

const SUBSTITUTION_HINT = /[$`<>]/;
const EXITS = new Set(["exit", "return"]);

/** Parses shell source and records every command it would run into the collector. */
export function walkSource(source: string, collector: Collector, scope: Scope): void {
  walkScript(parse(source), collector, scope);
}

function walkScript(script: ParsedScript | undefined, collector: Collector, scope: Scope): void {
  if (!script) {
    collector.flag("parse_error");
    return;
  }
  if (script.errors && script.errors.length > 0) collector.flag("parse_error");
  collector.charge(script.end - script.pos);
  walkStatements(script.commands, collector, scope);
}

function walkStatements(
  statements: readonly Statement[],
  collector: Collector,
  scope: Scope,
): void {
  for (const statement of statements) {
    walkNode(statement.command, collector, statement.background ? forkScope(scope) : scope);
  }
}

function walkNode(node: WalkNode, collector: Collector, scope: Scope): void {
  switch (node.type) {
    case "Command":
      walkCommand(node, collector, scope);
      break;
    case "Pipeline":
      walkPipeline(node, collector, scope);
      break;
    case "AndOr":
      walkAndOr(node, collector, scope);
      break;
    case "Redirected":
      walkRedirected(node, collector, scope);
      break;
    case "CompoundList":
      walkStatements(node.commands, collector, scope);
      break;
    default:
      if (!collector.enter()) return;
      walkNested(node, collector, scope);
      collector.leave();
  }
}

function walkNested(node: NestedNode, collector: Collector, scope: Scope): void {
  switch (node.type) {
    case "Subshell":
      walkStatements(node.body.commands, collector, forkScope(scope));
      break;
    case "BraceGroup":
      walkStatements(node.body.commands, collector, scope);
      break;
    case "If":
      walkStatements(node.clause.commands, collector, scope);
      walkBranches([node.then, ...node.elif, ...(node.else ? [node.else] : [])], collector, scope);
      break;
    case "Case":
      scan(node.word, collector, scope);
      for (const item of node.items) for (const word of item.pattern) scan(word, collector, scope);
      walkBranches(
        node.items.map((item) => item.body),
        collector,
        scope,
      );
      break;
    case "For":
    case "Select":
      if (isDangerousName(node.name.value)) collector.flag("dangerous_environment");
      for (const word of node.wordlist ?? []) scan(word, collector, scope);
      walkLoop([node.body], collector, scope);
      break;
    case "ArithmeticFor":
      for (const part of [node.initialize, node.test, node.update]) {
        if (!part) continue;
        if (!isLiteralArithmetic(part)) collector.flag("arithmetic");
        scan(part, collector, scope);
      }
      walkLoop([node.body], collector, scope);
      break;
    case "While":
      walkLoop([node.clause, node.body], collector, scope);
      break;
    case "TestCommand":
      scan(node.expression, collector, scope);
      break;
    case "ArithmeticCommand":
      if (node.expression ? !isLiteralArithmetic(node.expression) : node.body.trim() !== "") {
        collector.flag("arithmetic");
      }
      if (node.expression) scan(node.expression, collector, scope);
      break;
    case "Function": {
      // A function may be called with any input (`echo code | f`): its body reads unseen data.
      const inner: Scope = { ...forkScope(scope), input: "unseen" };
      walkNode(node.body, collector, inner);
      if (scopeMoved(inner, scope)) scope.dynamic = true;
      break;
    }
    case "Coproc":
      if (node.name && isDangerousName(node.name.value)) collector.flag("dangerous_environment");
      // A coprocess reads what the shell later writes to it (`echo code >&60`).
      walkNode(node.body, collector, { ...forkScope(scope), input: "unseen" });
      break;
  }
}

function walkBranches(
  branches: readonly (CompoundList | Elif)[],
  collector: Collector,
  scope: Scope,
): void {
  let moved = false;
  for (const branch of branches) {
    const inner = forkScope(scope);
    if (branch.type === "Elif") walkStatements(branch.clause.commands, collector, inner);
    walkStatements(
      branch.type === "Elif" ? branch.then.commands : branch.commands,
      collector,
      inner,
    );
    if (scopeMoved(inner, scope)) moved = true;
  }
  if (moved) scope.dynamic = true;
}

function walkLoop(lists: readonly CompoundList[], collector: Collector, scope: Scope): void {
  const start = forkScope(scope);
  const firstWrite = collector.writeCount;
  for (const list of lists) walkStatements(list.commands, collector, scope);
  if (!scopeMoved(scope, start)) return;
  collector.markRelativeDynamic(firstWrite);
  scope.dynamic = true;
}

function walkPipeline(node: Pipeline, collector: Collector, scope: Scope): void {
  const only = node.commands.length === 1 ? node.commands[0] : undefined;
  if (only) {
    walkNode(only, collector, scope);
    return;
  }
  let last: Scope = scope;
  node.commands.forEach((command, index) => {
    last = forkScope(scope);
    // Every command but the first reads what the one before it writes.
    if (index > 0) last.input = "unseen";
    walkNode(command, collector, last);
  });
  // With `shopt -s lastpipe` the last command runs in this shell: its `cd` may move it.
  if (scopeMoved(last, scope)) scope.dynamic = true;
}

function walkAndOr(node: AndOr, collector: Collector, scope: Scope): void {
  const start = forkScope(scope);
  let conditional = false;
  node.commands.forEach((command, index) => {
    if (index > 0 && node.operators[index - 1] === "||") {
      conditional = true;
      if (scopeMoved(scope, start) && !isExit(command)) scope.dynamic = true;
    }
    const before = conditional ? forkScope(scope) : scope;
    walkNode(command, collector, scope);
    if (conditional && scopeMoved(scope, before)) scope.dynamic = true;
  });
}

function isExit(node: PipelineNode): boolean {
  const command = node.type === "Pipeline" && node.commands.length === 1 ? node.commands[0] : node;
  return command?.type === "Command" && EXITS.has(command.name?.value ?? "");
}

function walkRedirected(node: Redirected, collector: Collector, scope: Scope): void {
  const before = forkScope(scope);
  // A here-doc or a file on a group or loop (`{ python3; } <<< code`) is what its commands read.
  const input = scope.input;
  scope.input = redirectedInput(node.redirects, input);
  walkNode(node.command, collector, scope);
  scope.input = input;
  for (const redirect of node.redirects) {
    recordRedirect(collector, before, redirect);
    scan(redirect, collector, before);
  }
}

function walkCommand(node: Command, collector: Collector, scope: Scope): void {
  for (const item of node.prefix) if (item.type === "Assignment") checkAssignment(item, collector);
  for (const item of node.suffix) if (item.type === "Assignment") checkAssignment(item, collector);
  const args: Arg[] = node.name ? [wordArg(node.name)] : [];
  for (const item of node.suffix) {
    if (item.type === "Word") args.push(wordArg(item));
    else if (item.type === "Assignment") args.push(assignmentArg(item));
  }
  let dirChange: readonly Arg[] | undefined;
  if (args.length > 0) {
    const assignments: string[] = [];
    for (const item of node.prefix) {
      if (item.type === "Assignment") assignments.push(assignmentArg(item).text);
    }
    dirChange = runCommand(args, assignments, collector, scope);
  }
  for (const redirect of node.redirects) recordRedirect(collector, scope, redirect);
  scan(node, collector, scope);
  if (dirChange) changeDir(scope, dirChange);
  const input = args.length > 0 ? redirectedInput(node.redirects, scope.input) : undefined;
  if (input) walkInput(args, input, collector, scope);
  // `exec 3<<< code` or `exec < file` with no command reopens the shell's own descriptors: what
  // later commands read (`python3 <&3`, `python3 /dev/fd/3`) is no longer known.
  if (args.every((arg) => IN_SHELL.has(arg.text)) && args.length > 0 && readsAny(node.redirects)) {
    scope.input = "unseen";
  }
}

const IN_SHELL = new Set(["exec", "builtin", "command"]);

/** Whether a redirection opens something to read, on any descriptor. */
function readsAny(redirects: readonly Redirection[]): boolean {
  return redirects.some(
    (item) =>
      item.type !== "Redirect" ||
      item.operator === "<" ||
      item.operator === "<&" ||
      item.operator === "<>",
  );
}

/**
 * The input commands read under these redirections: their here-docs and here-strings, a `file`,
 * unknown data from a descriptor or a device (`<&3`, `< /dev/stdin`), else what the
 * command line feeds the commands around them. Most commands have no redirections: answered
 * without allocating.
 */
function redirectedInput(
  redirects: readonly Redirection[],
  around: Input | undefined,
): Input | undefined {
  if (redirects.length === 0) return around;
  const texts = hereTexts(redirects);
  if (texts) return texts;
  let input = around;
  for (const redirect of redirects) {
    const opened = inputOpened(redirect);
    if (opened === "unknown") return "unseen";
    if (opened === "file") input = "file";
    if (opened === "empty") input = undefined;
  }
  return input;
}

/**
 * What a redirection opens as standard input: a `file`, nothing (`/dev/null`), or `unknown` data
 * (another descriptor, a device or `/proc` path that may be one: `<&3`, `< /dev/fd/3`), or
 * nothing on descriptor 0.
 */
function inputOpened(redirect: Redirection): "file" | "empty" | "unknown" | undefined {
  if (redirect.type !== "Redirect" || !redirect.target) return undefined;
  const fd = redirect.descriptor;
  if (fd !== undefined && (fd.type !== "FileDescriptor" || fd.value !== 0)) return undefined;
  const target = redirect.target.value;
  if (redirect.operator === "<&")
    return target === "0" ? undefined : target === "-" ? "empty" : "unknown";
  if (redirect.operator !== "<" && redirect.operator !== "<>") return undefined;
  if (target === "/dev/null") return "empty";
  return namesInput(target) ? "unknown" : "file";
}

/** The texts of the here-docs and here-strings among `redirects`, on any descriptor, if any. */
function hereTexts(redirects: readonly Redirection[]): string[] | undefined {
  let texts: string[] | undefined;
  for (const item of redirects) {
    const text =
      item.type === "HereString"
        ? (item.target?.value ?? "")
        : item.type === "HereDoc"
          ? (item.body?.text ?? "")
          : undefined;
    if (text === undefined) continue;
    texts ??= [];
    texts.push(text);
  }
  return texts;
}

/**
 * A shell, `source`, `at` or `batch` fed a here-doc or here-string runs it as a script: its
 * commands are collected too (`bash <<< 'rm x'`). A program that reads code from its input
 * (`python3 - <<< code`, `echo code | perl`) runs code the analysis cannot read.
 */
function walkInput(args: readonly Arg[], input: Input, collector: Collector, scope: Scope): void {
  const use = inputUse(args, input);
  if (use === "code") collector.flag("argument_runs_program");
  if (use !== "script" || input === "unseen" || input === "file") return;
  for (const source of input) {
    if (!source) continue;
    if (!collector.enter()) return;
    collector.walkSource(source, collector, { ...forkScope(scope), input: undefined });
    collector.leave();
  }
}

function scan(node: SyntaxNode, collector: Collector, scope: Scope): void {
  switch (node.type) {
    case "Word":
      if (!SUBSTITUTION_HINT.test(node.text)) return;
      break;
    case "HereDocBody":
      if (!SUBSTITUTION_HINT.test(node.text)) return;
      rescanHereDoc(node, collector, scope);
      break;
    case "ParameterExpansion":
      checkParameter(node, collector);
      break;
    case "ArithmeticExpansion":
      checkArithmeticExpansion(node, collector);
      break;
    case "TestBinary":
    case "TestUnary":
      checkTest(node, collector);
      break;
    case "CommandExpansion":
    case "ArithmeticCommandExpansion":
      walkSubstitution(node.script, "command_substitution", collector, scope);
      return;
    case "ProcessSubstitution":
      walkSubstitution(node.script, "process_substitution", collector, scope);
      return;
  }
  forEachChild(node, (child) => scan(child, collector, scope));
}

/**
 * A here-doc body expands like a double-quoted string, where quotes inside `${x:-'…'}` are plain
 * characters: `${x:-'$(cmd)'}` runs `cmd`. The parser reads those quotes as quotes, so each such
 * expansion is scanned again as the double-quoted string bash sees.
 */
function rescanHereDoc(body: HereDocBody, collector: Collector, scope: Scope): void {
  for (const part of body.parts ?? []) {
    if (part.type === "ParameterExpansion" && part.text.includes("'")) {
      scan(parse(`"${part.text}"`), collector, scope);
    }
  }
}

function walkSubstitution(
  script: ParsedScript | undefined,
  reason: ShellUncertainty,
  collector: Collector,
  scope: Scope,
): void {
  collector.flag(reason);
  if (!collector.enter()) return;
  walkScript(script, collector, forkScope(scope));
  collector.leave();
}
