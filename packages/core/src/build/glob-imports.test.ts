// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the sources under test are strings that hold template literals
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { globImportProblems } from './glob-imports.js';

const { transform } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
const ROOT = '/cache/git/h/c/tree';
const FILE = `${ROOT}/src/pick.ts`;
const problems = (source: string, loader: 'ts' | 'js' | 'json' = 'ts') => globImportProblems(source, loader, FILE, [ROOT], transform);

describe('globImportProblems', () => {
  it.each([
    ['a plain import', "const a = await import('../../../../etc/x.js');"],
    ['a plain require', 'const a = require("./x.js");'],
    ['a type import', "type Z = typeof import('node:zlib');"],
    ['a folder inside the checkout', 'const a = await import(`./parts/${name}.js`);'],
    ['the checkout root itself', 'const a = await import(`../${name}.js`);'],
    ['a computed path (esbuild leaves it to run time)', 'const a = await import(name); const b = require(name + ".js");'],
    ['no prefix at all', 'const a = await import(`${name}.js`);'],
    ['a template without substitutions', 'const a = await import(`../../../x.js`);'],
    ['a tagged template', 'const a = await import(String.raw`../../../${name}`);'],
    ['require assigned, read or passed on', 'require = createRequire("/"); const r = require.resolve("x"); f(a, require, b); const o = { require };'],
  ])('lets %s through', async (_, source) => {
    expect(await problems(source)).toEqual([]);
  });

  it.each([
    ['a template', 'const a = await import(`../../${name}`);', /folder \.\.\/\.\.\/, which lies outside/],
    ['a require of a concatenation', 'const a = require("../../../" + name);', /folder \.\.\/\.\.\/\.\.\/, which lies outside/],
    ['a literal esbuild folds into the fixed part', 'const a = await import(`${"../../"}${name}`);', /not written as one literal/],
    ['two literals esbuild folds together', 'const a = require("./" + "../../" + name);', /folder \.\/\.\.\/\.\.\/, which lies outside/],
    ['a comment before the parenthesis', 'const a = await import /* x */ (`../../${name}`);', /lies outside/],
    ['an escaped require', 'const a = \\u0072equire(`../../${name}`);', /lies outside/],
    ['a branch of a condition', 'const a = await import(c ? "./a.js" : `../../${name}`);', /lies outside/],
    ['a TypeScript cast around it', 'const a = await import(`../../${name}` as string);', /lies outside/],
    ['a require in parentheses', 'const a = (require)(`../../${name}`);', /lies outside/],
    ['a require cast to any', 'const a = (require as any)(`../../${name}`);', /lies outside/],
    ['a require asserted non-null', 'const a = require!(`../../${name}`);', /lies outside/],
  ])('refuses %s, quoting the pattern', async (_, source, why) => {
    const found = await problems(source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(why);
  });

  it('reads JavaScript too, and leaves JSON and text alone', async () => {
    expect(await problems('module.exports = require("../../" + name);', 'js')).toHaveLength(1);
    expect(await problems('{"a": "require(`../../${x}`)"}', 'json')).toEqual([]);
  });
});
