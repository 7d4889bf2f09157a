import type {
  ArithmeticExpansionPart,
  Assignment,
  ParameterExpansionPart,
  TestBinaryExpression,
  TestUnaryExpression,
} from "unbash";
import { isLiteralArithmetic, isLiteralArithmeticText, isNumericWord } from "./arithmetic.ts";
import { isDangerousName, isSafeSubscript, nameProblem } from "./names.ts";
import type { ShellUncertainty } from "./types.ts";

/** Transformations that only quote or change case; every other `${x@…}` may re-read the value. */
const SAFE_TRANSFORMS = new Set(["Q", "U", "u", "L"]);
/** `[[ ]]` operators whose operands are evaluated as arithmetic. */
const ARITHMETIC_TESTS = new Set(["-eq", "-ne", "-lt", "-le", "-gt", "-ge"]);
/** `[[ ]]` operators whose operand is a variable name, subscript included. */
const NAME_TESTS = new Set(["-v", "-R"]);

/** Where a check reports what it found (the analysis' collector). */
export interface Flags {
  flag(reason: ShellUncertainty): void;
}

/**
 * Flags a parameter expansion that turns a value into code: prompt expansion (`${x@P}` runs a
 * `$(…)` held in the value) and the other re-reading transformations, indirection (`${!x}` reads
 * the value as a name, subscript included), subscripts and substring offsets (arithmetic), and
 * `${NAME:=…}` on a variable that changes what runs.
 */
export function checkParameter(part: ParameterExpansionPart, flags: Flags): void {
  const { operation, index } = part;
  if (index && !isSafeSubscript(index.text)) flags.flag("arithmetic");
  if (part.prefix === "!") {
    const listsKeys = index?.text === "@" || index?.text === "*";
    if (operation?.type !== "Names" && !listsKeys) flags.flag("indirect_expansion");
  }
  switch (operation?.type) {
    case "Transform":
      if (!SAFE_TRANSFORMS.has(operation.operand.text)) flags.flag("parameter_transform");
      break;
    case "Slice":
      if (!isLiteralArithmeticText(operation.offset.text)) flags.flag("arithmetic");
      if (operation.length && !isLiteralArithmeticText(operation.length.text))
        flags.flag("arithmetic");
      break;
    case "Default":
      if (operation.operator.endsWith("=") && isDangerousName(part.parameter)) {
        flags.flag("dangerous_environment");
      }
      break;
    case "Unknown":
      flags.flag("parse_error");
      break;
  }
}

/** Flags `$(( ))` or `$[ ]` that evaluates anything but literal numbers. */
export function checkArithmeticExpansion(part: ArithmeticExpansionPart, flags: Flags): void {
  const literal = part.expression
    ? isLiteralArithmetic(part.expression)
    : /^\$(?:\(\(\s*\)\)|\[\s*\])$/.test(part.text);
  if (!literal) flags.flag("arithmetic");
}

/** Flags `[[ x -eq y ]]` on anything but numbers, and `[[ -v name ]]` on a dynamic or subscripted name. */
export function checkTest(node: TestBinaryExpression | TestUnaryExpression, flags: Flags): void {
  if (node.type === "TestBinary") {
    if (
      ARITHMETIC_TESTS.has(node.operator) &&
      !(isNumericWord(node.left) && isNumericWord(node.right))
    )
      flags.flag("arithmetic");
    return;
  }
  if (!NAME_TESTS.has(node.operator)) return;
  const literal =
    !node.operand.parts ||
    node.operand.parts.every((p) => p.type === "Literal" || p.type === "SingleQuoted");
  const problem = literal ? nameProblem(node.operand.value) : "dynamic_name";
  if (problem === "dynamic_name") flags.flag(problem);
}

/**
 * Flags an assignment (`NAME=…`, `a[i]=…`, `a=([k]=v)`) to a variable that changes what runs, or
 * through a subscript that is arithmetic on something other than numbers.
 */
export function checkAssignment(assignment: Assignment, flags: Flags): void {
  if (isDangerousName(assignment.name)) flags.flag("dangerous_environment");
  if (assignment.index && !isSafeSubscript(assignment.index.text)) flags.flag("arithmetic");
  if (assignment.value.type !== "ArrayValue") return;
  for (const element of assignment.value.elements) {
    const keyed = /^\[([^\]]*)\]\+?=/.exec(element.text);
    if (keyed && !isSafeSubscript(keyed[1]!)) flags.flag("arithmetic");
    else if (!keyed && element.text.startsWith("[")) flags.flag("arithmetic");
  }
}
