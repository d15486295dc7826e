import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_VERSION, MediaConduitError, type ErrorCode } from '@mediaconduit/provider';
import type { Context } from './context.js';
import { EXIT } from './errors.js';
import { CLI_VERSION } from './version.js';

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** Where the template lives: the copy shipped in `template/`, else the mock provider itself in the monorepo. */
async function templateDir(): Promise<string> {
  for (const candidate of ['../template/', '../../mock-provider/']) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (
      await stat(join(dir, 'MediaConduit.provider.yml')).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  throw mcError(
    'INVALID_OPTIONS',
    'init: the provider template is missing from this @mediaconduit/cli installation; reinstall @mediaconduit/cli, or run pnpm build in the MediaConduit repository',
  );
}

/**
 * Scaffolds a new provider in `dir` from the mock provider template, with its id and name
 * replaced. The folder must not exist or be empty. Returns the files written.
 */
export async function initProvider(dir: string, options: { id: string; name?: string }): Promise<string[]> {
  const { id } = options;
  if (!ID.test(id)) throw mcError('INVALID_OPTIONS', `init: id "${id}" is invalid; use lower-case letters, digits and "-" (for example "acme-images")`);
  const name =
    options.name ??
    id
      .split('-')
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(' ');
  if (/[\n\r"]/.test(name)) throw mcError('INVALID_OPTIONS', 'init: the name must be one line without double quotes');
  const target = resolve(dir);
  const existing = await readdir(target).catch(() => undefined);
  if (existing && existing.length > 0) throw mcError('INVALID_OPTIONS', `init: ${target} is not empty; pick a new folder`);
  await mkdir(target, { recursive: true });
  const template = await templateDir();
  // The template's own tests run inside the MediaConduit repository; a new provider is checked with `mediaconduit validate`.
  await cp(template, target, { recursive: true, filter: (source) => !/(^|[\\/])(node_modules|dist|test|LICENSE|tsconfig\.build\.json)$/.test(source.slice(template.length)) });

  // Shipped as `gitignore` (npm never packs a .gitignore), so that node_modules is never committed.
  await rename(join(target, 'gitignore'), join(target, '.gitignore')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const edit = async (file: string, change: (text: string) => string) => writeFile(join(target, file), change(await readFile(join(target, file), 'utf8')));
  await edit('MediaConduit.provider.yml', (text) =>
    text
      .replace(/^id: .*$/m, `id: ${id}`)
      .replace(/^name: .*$/m, `name: ${name}`)
      .replace(/^version: .*$/m, 'version: 0.1.0')
      .replace(/^description: .*$/m, `description: ${name}, a MediaConduit provider (started from the mock template)`),
  );
  await edit('src/provider-info.ts', (text) =>
    text.replace(/PROVIDER_ID = '[^']*'/, `PROVIDER_ID = '${id}'`).replace(/PROVIDER_NAME = '[^']*'/, `PROVIDER_NAME = ${JSON.stringify(name).replace(/^"|"$/g, "'")}`),
  );
  await writeFile(join(target, 'package.json'), `${JSON.stringify(templatePackage(id, name), null, 2)}\n`);
  await edit('README.md', (text) => text.replace(/^# .*$/m, `# ${name}\n\nA MediaConduit provider scaffolded with \`mediaconduit init\` from the mock provider template.`));
  return (await readdir(target, { recursive: true })).map(String).sort();
}

/**
 * The new provider's package.json. The contract is a peer (the host provides it; the loader never
 * installs it into the bundle) and a dev dependency (for types); the CLI runs `validate`.
 */
function templatePackage(id: string, name: string): Record<string, unknown> {
  return {
    name: `mediaconduit-provider-${id}`,
    version: '0.1.0',
    private: true,
    description: `${name}, a MediaConduit provider`,
    type: 'module',
    scripts: { typecheck: 'tsc --noEmit', validate: 'mediaconduit validate .', test: 'tsc --noEmit && mediaconduit validate .' },
    peerDependencies: { '@mediaconduit/provider': `^${CONTRACT_VERSION}` },
    devDependencies: { '@mediaconduit/cli': `^${CLI_VERSION}`, '@mediaconduit/provider': `^${CONTRACT_VERSION}`, '@types/node': '^20.19.0', typescript: '^5.9.0' },
  };
}

function mcError(code: ErrorCode, message: string): MediaConduitError {
  return new MediaConduitError({ code, message });
}

/** `mediaconduit init <dir> --id <id> [--name <name>]`. */
export async function initCommand(ctx: Context, dir: string, flags: { id: string; name?: string }): Promise<number> {
  const at = resolve(ctx.io.cwd, dir);
  const files = await initProvider(at, { id: flags.id, ...(flags.name ? { name: flags.name } : {}) });
  ctx.out.result({ id: flags.id, dir: at, files });
  ctx.out.line(`Created provider "${flags.id}" in ${at} (${files.length} files). Next:`);
  ctx.out.line(`  cd ${at} && git init && git add -A && git commit -m "New provider"`);
  ctx.out.line(`  mediaconduit validate ${at}`);
  ctx.out.line(`  mediaconduit load ${at}    (or push it and load github:<you>/<repo>@v0.1.0)`);
  return EXIT.OK;
}
