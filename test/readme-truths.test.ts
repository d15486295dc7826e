// What the README says that the code can check: the places it points to exist, the recipe names
// every package the table calls installable, and the exit codes are the command's own.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../packages/cli/src/errors.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

describe('the README', () => {
  it('has the section and step that the manifests of the mock and of a new provider point to', () => {
    for (const manifest of ['packages/mock-provider/MediaConduit.provider.yml', 'packages/cli/template-minimal/MediaConduit.provider.yml']) {
      const comment = readFileSync(`${root}${manifest}`, 'utf8').split('\n')[0]!;
      const [, section, step] = /"([^"]+)", step 2 \((\w+)\)/.exec(comment) ?? [];
      expect(section, manifest).toBe('Write your own provider');
      expect(readme).toMatch(new RegExp(`^## ${section}$`, 'm'));
      expect(readme).toMatch(new RegExp(`^2\\. \\*\\*${step}\\*\\* it in \`MediaConduit\\.provider\\.yml\``, 'm'));
    }
  });

  it('packs and installs every package its table says can be installed', () => {
    const table = readme.slice(readme.indexOf('| package'), readme.indexOf('Once they are published'));
    const listed = [...table.matchAll(/`@mediaconduit\/([a-z-]+)`/g)].map((m) => m[1]!);
    expect(listed.sort()).toEqual(['cli', 'core', 'fal-provider', 'mock-provider', 'provider', 'testing', 'together-provider']);
    const recipe = /for p in ([a-z -]+); do \(cd packages\/\$p && pnpm pack/.exec(readme)?.[1]?.split(' ') ?? [];
    expect(recipe.sort()).toEqual(listed);
    const installed = [...readme.matchAll(/npm install \/tmp\/mediaconduit\/mediaconduit-\{([a-z,-]+)\}-0\.1\.0\.tgz/g)].flatMap((m) => m[1]!.split(','));
    expect(installed.sort()).toEqual(listed);
  });

  it("lists the command's exit codes as they are", () => {
    const line = readme.slice(readme.indexOf('- **Exit codes** (stable)'), readme.indexOf('- **Limits**'));
    const codes = [...line.matchAll(/`(\d+)`/g)].map((m) => Number(m[1]));
    expect(codes.sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });
});
