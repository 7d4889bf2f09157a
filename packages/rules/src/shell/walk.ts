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
import { INLINE_CODE } from "./inline-code.ts";
import { LAUNCHERS } from "./launchers.ts";
import { isDangerousName } from "./names.ts";
import { SHELLS } from "./nested.ts";
import { PACKAGE_RUNNERS } from "./package-runners.ts";
import { recordRedirect } from "./redirects.ts";
import { changeDir, forkScope, type Scope, scopeMoved } from "./scope.ts";
import type { ShellUncertainty } from "./types.ts";
import { type Arg, assignmentArg, wordArg } from "./words.ts";
import { TRANSPARENT_WRAPPERS } from "./wrappers.ts";

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
      const inner = forkScope(scope);
      walkNode(node.body, collector, inner);
      if (scopeMoved(inner, scope)) scope.dynamic = true;
      break;
    }
    case "Coproc":
      if (node.name && isDangerousName(node.name.value)) collector.flag("dangerous_environment");
      walkNode(node.body, collector, forkScope(scope));
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
  for (const command of node.commands) {
    last = forkScope(scope);
    walkNode(command, collector, last);
  }
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
  walkNode(node.command, collector, scope);
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
  if (readsScriptFromStdin(args)) walkStdinScript(node, collector, scope);
  else if (readsCodeFromStdin(args) && hasHereInput(node)) collector.flag("argument_runs_program");
}

/** Line editors read their commands from standard input, and `!cmd` runs a shell. */
const STDIN_EDITORS = new Set(["ed", "red", "ex"]);

/**
 * Interpreters that read their program from a here-doc or here-string (`python3 - <<< 'code'`),
 * and line editors their commands (`ed -s f <<< '!cmd'`): code written in the command line, as
 * `python3 -c` is, which the analysis cannot read.
 */
function readsCodeFromStdin(args: readonly Arg[]): boolean {
  const head = args[0]?.text ?? "";
  const program = head.slice(head.lastIndexOf("/") + 1);
  // Most commands are neither an interpreter nor a wrapper: answered without reading the rest.
  if (!reads(program) && !PASSING_ON.has(program)) return false;
  const names = args.map((arg) => arg.text.slice(arg.text.lastIndexOf("/") + 1));
  const at = PASSING_ON.has(names[0] ?? "")
    ? names.findIndex(reads)
    : reads(names[0] ?? "")
      ? 0
      : -1;
  if (at === -1) return false;
  if (STDIN_EDITORS.has(names[at]!)) return true;
  // With a script or module named (`python3 x.py <<< data`), the input is data, unless the
  // script is the input itself (`python3 /dev/stdin <<< code`).
  return args
    .slice(at + 1)
    .every((arg) => /^-|^\/dev\/stdin$|^\/dev\/fd\/0$|^\/proc\/self\/fd\/0$/.test(arg.text));
}

function reads(name: string): boolean {
  return INLINE_CODE.has(name) || STDIN_EDITORS.has(name);
}

function hasHereInput(node: Command): boolean {
  return node.suffix.some(isHere) || node.redirects.some(isHere);
}

function isHere(item: { readonly type: string }): boolean {
  return item.type === "HereString" || item.type === "HereDoc";
}

/**
 * Shells, `source`, and `at`/`batch` (which run their input later) reading their script from a
 * here-doc or here-string (`bash <<< 'rm x'`, `at now <<< 'rm x'`).
 */
const STDIN_READERS = new Set([...SHELLS, "source", ".", "at", "batch"]);
const PASSING_ON = new Set([
  ...TRANSPARENT_WRAPPERS.keys(),
  ...LAUNCHERS.keys(),
  ...PACKAGE_RUNNERS.keys(),
]);

function readsScriptFromStdin(args: readonly Arg[]): boolean {
  const names = args.map((arg) => arg.text.slice(arg.text.lastIndexOf("/") + 1));
  if (STDIN_READERS.has(names[0] ?? "")) return true;
  // Through a wrapper or launcher (`env bash`, `sudo -u x sh`), any later word may be the shell.
  return PASSING_ON.has(names[0] ?? "") && names.some((name) => STDIN_READERS.has(name));
}

/** The here-doc or here-string such a program reads is a script: its commands are collected too. */
function walkStdinScript(node: Command, collector: Collector, scope: Scope): void {
  for (const item of [...node.suffix, ...node.redirects]) {
    const source =
      item.type === "HereString"
        ? item.target?.value
        : item.type === "HereDoc"
          ? item.body?.text
          : undefined;
    if (!source) continue;
    if (!collector.enter()) return;
    collector.walkSource(source, collector, forkScope(scope));
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
