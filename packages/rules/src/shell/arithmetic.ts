import type { ArithmeticExpression, DoubleQuotedChild, Word, WordPart } from "unbash";

/** A number as bash's arithmetic reads it: decimal, octal, `0x1f`, `base#digits`. */
const NUMBER = /^[0-9][0-9A-Za-z_@#]*$/;
/** Operators, numbers, parentheses and blanks: nothing that names a variable or expands. */
const LITERAL_TEXT = /^[\s0-9A-Za-z_@#+\-*/%<>=!&|^~?:,()]*$/;
/** Special parameters whose value is always a number (or empty): `$#`, `$?`, `$$`, `$!`. */
const NUMERIC_SPECIAL = new Set(["#", "?", "$", "!"]);

/**
 * Whether arithmetic source evaluates nothing but literal numbers. Bash evaluates every name in
 * an arithmetic expression recursively, and a value such as `a[$(cmd)]` runs `cmd`; so any name,
 * expansion, subscript or quote makes the expression unsafe, whatever this command assigned.
 */
export function isLiteralArithmeticText(text: string): boolean {
  if (!LITERAL_TEXT.test(text)) return false;
  for (const token of text.matchAll(/[0-9A-Za-z_@#]+/g)) {
    if (!NUMBER.test(token[0])) return false;
  }
  return true;
}

/** The same test on a parsed arithmetic expression (`(( ))`, `for (( ))`, `$(( ))`). */
export function isLiteralArithmetic(expression: ArithmeticExpression | undefined): boolean {
  if (!expression) return true;
  switch (expression.type) {
    case "ArithmeticWord":
      return expression.parts
        ? expression.parts.every(isNumericPart)
        : NUMBER.test(expression.value);
    case "ArithmeticBinary":
      return isLiteralArithmetic(expression.left) && isLiteralArithmetic(expression.right);
    case "ArithmeticUnary":
      return isLiteralArithmetic(expression.operand);
    case "ArithmeticTernary":
      return (
        isLiteralArithmetic(expression.test) &&
        isLiteralArithmetic(expression.consequent) &&
        isLiteralArithmetic(expression.alternate)
      );
    case "ArithmeticGroup":
      return isLiteralArithmetic(expression.expression);
    default:
      return false;
  }
}

/** Whether a word is an operand of `[[ -eq ]]` that cannot name a variable: digits or `$#`-like. */
export function isNumericWord(word: Word): boolean {
  return word.parts ? word.parts.every(isNumericPart) : NUMBER.test(word.value);
}

function isNumericPart(part: WordPart | DoubleQuotedChild): boolean {
  switch (part.type) {
    case "Literal":
    case "SingleQuoted":
      return NUMBER.test(part.value) || /^\s*$/.test(part.value);
    case "DoubleQuoted":
      return part.parts.every(isNumericPart);
    case "SimpleExpansion":
      return NUMERIC_SPECIAL.has(part.text.slice(1));
    case "ParameterExpansion":
      return (
        NUMERIC_SPECIAL.has(part.parameter) &&
        !part.prefix &&
        !part.index &&
        part.operation === undefined
      );
    default:
      return false;
  }
}
