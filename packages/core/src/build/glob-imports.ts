// esbuild expands an `import()` or `require()` whose path is a template or a concatenation
// (import(`./locales/${name}.js`)) by listing, itself, every file below the pattern's fixed
// folder, before any plugin sees one. Its folder can be anywhere: `../../../../${x}` lists the
// host's whole file system (nine seconds and 400 000 file names here, a gigabyte of errors, their
// names quoted in the build error). No plugin hook comes before that walk, so each file is
// checked here, before esbuild parses it: a pattern must name its folder literally, inside the
// provider's checkout (or its installed dependencies).
import type { Loader, transform as Transform } from 'esbuild';

/**
 * Cheap first look: a file whose every dynamic `import(` and `require(` takes one plain string needs
 * no parse. `import` is a keyword: only `import(` (a comment may come before the parenthesis) is a
 * dynamic import. `require` is a name: it may be wrapped (`(require)(…)`, TypeScript's
 * `(require as any)(…)`, `require!(…)`) or escaped (`\u0072equire`), and esbuild still sees a call
 * of it; so any use of it that is not plainly harmless (`require = …`, `require.resolve`, an object
 * key, one argument among others) means a parse, as does any escaped identifier.
 */
const IMPORT_CALL = /\bimport\s*(\(|\/[*/])/g;
const REQUIRE = /\brequire\b\s*/g;
const PLAIN_ARGUMENT = /^\(\s*(?:"[^"\\\n]*"|'[^'\\\n]*')\s*\)/;
const HARMLESS_AFTER_REQUIRE = new Set(['=', '.', ',', ';', ':', '}', ']', '']);

function mayHoldPattern(source: string): boolean {
  if (source.includes('\\u')) return true;
  for (const match of source.matchAll(IMPORT_CALL)) {
    if (match[1] !== '(' || !PLAIN_ARGUMENT.test(source.slice(match.index + match[0].length - 1, match.index + 400))) return true;
  }
  for (const match of source.matchAll(REQUIRE)) {
    const at = match.index + match[0].length;
    const next = source.charAt(at);
    if (next === '(' ? !PLAIN_ARGUMENT.test(source.slice(at, at + 400)) : !HARMLESS_AFTER_REQUIRE.has(next)) return true;
  }
  return false;
}

/**
 * The glob-style imports in one input that could reach outside `roots`, as messages naming them;
 * empty when there are none. `file` is the input's real path. TypeScript and JSX are first turned
 * into JavaScript with esbuild's `transform` (types only: the same parser the bundle uses); the
 * parser (acorn, in a file of its own) is loaded only for a file the first look cannot clear.
 */
export async function globImportProblems(source: string, loader: Loader, file: string, roots: readonly string[], transform: typeof Transform): Promise<string[]> {
  if (loader !== 'ts' && loader !== 'tsx' && loader !== 'js' && loader !== 'jsx') return [];
  if (!mayHoldPattern(source)) return [];
  let code: string;
  try {
    // Lowered to ES2022, so that the parser knows every construct left (decorators, `using`).
    code = (await transform(source, { loader, target: 'es2022', logLevel: 'silent' })).code;
  } catch {
    return []; // esbuild reports the syntax error itself when it parses the file, before any import is followed
  }
  return (await import('./glob-patterns.js')).patternProblems(code, file, roots);
}
