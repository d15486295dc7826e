import { cp, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mcError } from '../errors/mediaconduit-error.js';
import { CORE_VERSION } from '../version.js';

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Where the template lives: the mock provider itself in the monorepo, else the copy shipped in `template/`. */
async function templateDir(): Promise<string> {
  for (const candidate of ['../../../mock-provider/', '../../template/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (await stat(join(dir, 'MediaConduit.provider.yml')).then(() => true, () => false)) return dir;
  }
  throw mcError('INVALID_OPTIONS', 'init: the provider template is missing from this @mediaconduit/core installation; reinstall it, or build core (pnpm build) in the monorepo');
}

/**
 * Scaffolds a new provider in `dir` from the mock provider template, with its id and name
 * replaced. The folder must not exist or be empty. Returns the files written.
 */
export async function initProvider(dir: string, options: { id: string; name?: string }): Promise<string[]> {
  const { id } = options;
  if (!ID.test(id)) throw mcError('INVALID_OPTIONS', `init: id "${id}" is invalid; use lower-case letters, digits and "-" (for example "acme-images")`);
  const name = options.name ?? id.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
  if (/[\n\r"]/.test(name)) throw mcError('INVALID_OPTIONS', 'init: the name must be one line without double quotes');
  const target = resolve(dir);
  const existing = await readdir(target).catch(() => undefined);
  if (existing && existing.length > 0) throw mcError('INVALID_OPTIONS', `init: ${target} is not empty; pick a new folder`);
  await mkdir(target, { recursive: true });
  await cp(await templateDir(), target, { recursive: true, filter: (source) => !source.split(/[\\/]/).includes('node_modules') });

  const edit = async (file: string, change: (text: string) => string) => writeFile(join(target, file), change(await readFile(join(target, file), 'utf8')));
  await edit('MediaConduit.provider.yml', (text) => text
    .replace(/^id: .*$/m, `id: ${id}`)
    .replace(/^name: .*$/m, `name: ${name}`)
    .replace(/^version: .*$/m, 'version: 0.1.0')
    .replace(/^description: .*$/m, `description: ${name}, a MediaConduit provider (started from the mock template)`));
  await edit('src/provider-info.ts', (text) => text
    .replace(/PROVIDER_ID = '[^']*'/, `PROVIDER_ID = '${id}'`)
    .replace(/PROVIDER_NAME = '[^']*'/, `PROVIDER_NAME = ${JSON.stringify(name).replace(/^"|"$/g, "'")}`));
  await edit('package.json', (text) => {
    const pkg = JSON.parse(text) as Record<string, unknown> & { devDependencies?: Record<string, string> };
    pkg.name = `mediaconduit-provider-${id}`;
    pkg.version = '0.1.0';
    pkg.description = `${name}, a MediaConduit provider`;
    for (const deps of [pkg.devDependencies]) if (deps?.['@mediaconduit/core']) deps['@mediaconduit/core'] = `^${CORE_VERSION}`;
    return `${JSON.stringify(pkg, null, 2)}\n`;
  });
  await edit('README.md', (text) => text.replace(/^# .*$/m, `# ${name}\n\nA MediaConduit provider scaffolded with \`mediaconduit init\` from the mock provider template.`));
  await edit('test/mock-provider.test.ts', (text) => text.replace(/provider: 'mock'/g, `provider: '${id}'`));
  await edit('test/template.test.ts', (text) => text.replace("expect(provider.id).toBe('mock')", `expect(provider.id).toBe('${id}')`));
  return (await readdir(target, { recursive: true })).map(String).sort();
}
