// The parse half of the glob-import check (see glob-imports.ts): acorn reads the JavaScript, and
// each dynamic import() or require() whose path is a pattern must name its folder literally,
// inside the allowed roots.
import { dirname, resolve } from 'node:path';
import { type Node, parse } from 'acorn';
import { simple } from 'acorn-walk';
import { isInside } from '../util/is-inside.js';

interface Expression extends Node {
  type: string;
  value?: unknown;
  operator?: string;
  left?: Expression;
  right?: Expression;
  test?: Expression;
  consequent?: Expression;
  alternate?: Expression;
  expressions?: Expression[];
  quasis?: { value: { cooked?: string | null } }[];
}

/** The patterns in `code` (JavaScript, from `file`) that could reach outside `roots`, as messages quoting them. */
export function patternProblems(code: string, file: string, roots: readonly string[]): string[] {
  const ast = parseEither(code);
  if (!ast) return ['this file could not be checked for glob-style imports (its JavaScript did not parse); report it with the file attached'];
  const problems: string[] = [];
  const check = (argument: Expression | undefined) => {
    const why = argument && patternProblem(argument, file, roots);
    if (why) problems.push(`${clip(code.slice(argument!.start, argument!.end))}: ${why}`);
  };
  simple(ast, {
    ImportExpression(node) {
      check((node as unknown as { source: Expression }).source);
    },
    CallExpression(node) {
      const call = node as unknown as { callee: Expression & { name?: string }; arguments: Expression[] };
      if (call.callee.type === 'Identifier' && call.callee.name === 'require') check(call.arguments[0]);
    },
  });
  return problems;
}

function parseEither(code: string): Node | undefined {
  for (const sourceType of ['module', 'script'] as const) {
    try {
      return parse(code, {
        ecmaVersion: 'latest',
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: true,
        allowAwaitOutsideFunction: true,
        allowImportExportEverywhere: true,
      });
    } catch {
      // try the other kind; a file that parses as neither is refused by the caller
    }
  }
  return undefined;
}

/** Why the path expression `node` could make esbuild list files outside `roots`; undefined when it cannot. */
function patternProblem(node: Expression, file: string, roots: readonly string[]): string | undefined {
  switch (node.type) {
    case 'ConditionalExpression':
      return patternProblem(node.consequent!, file, roots) ?? patternProblem(node.alternate!, file, roots);
    case 'LogicalExpression':
      return patternProblem(node.left!, file, roots) ?? patternProblem(node.right!, file, roots);
    case 'SequenceExpression':
      return patternProblem(node.expressions!.at(-1)!, file, roots);
    case 'TemplateLiteral':
      if (node.expressions!.length === 0) return undefined;
      return prefixProblem(node.quasis![0]!.value.cooked ?? '', node.expressions![0]!, file, roots);
    case 'BinaryExpression': {
      if (node.operator !== '+') return undefined;
      const parts: Expression[] = [];
      let left: Expression = node;
      while (left.type === 'BinaryExpression' && left.operator === '+') {
        parts.unshift(left.right!);
        left = left.left!;
      }
      parts.unshift(left);
      const first = parts[0]!;
      if (first.type === 'Literal' && typeof first.value === 'string') return prefixProblem(first.value, parts[1]!, file, roots);
      return prefixProblem('', first, file, roots);
    }
    default:
      return undefined;
  }
}

function prefixProblem(prefix: string, next: Expression, file: string, roots: readonly string[]): string | undefined {
  // esbuild folds literal pieces into the fixed part (`${'../'}${x}` is `../${x}`): where they lead is
  // not read here, so the fixed part must be one literal.
  if (next.type === 'Literal' || next.type === 'TemplateLiteral' || next.type === 'BinaryExpression') {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows a template as an example
    return 'a glob-style import whose fixed folder is not written as one literal at its start; esbuild would list every file below wherever it leads. Write the folder literally (import(`./locales/${name}.js`)), or import each file by name';
  }
  if (!prefix.startsWith('./') && !prefix.startsWith('../')) return undefined;
  const folder = resolve(dirname(file), prefix.slice(0, prefix.lastIndexOf('/') + 1));
  if (roots.some((root) => isInside(root, folder))) return undefined;
  return `a glob-style import of the folder ${prefix.slice(0, prefix.lastIndexOf('/') + 1)}, which lies outside the provider's checkout; esbuild would list every file below it. Keep the pattern's folder inside the repository, or import each file by name`;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
}
