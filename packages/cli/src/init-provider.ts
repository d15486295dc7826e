import { cp, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTRACT_VERSION, MediaConduitError } from '@mediaconduit/provider';
import type { Context } from './context.js';
import { EXIT, UsageError } from './errors.js';
import { shellWord } from './io.js';
import { CLI_VERSION } from './version.js';

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What `init` starts from: a provider with one model, or the full mock provider. */
export type InitTemplate = 'minimal' | 'mock';

/** Flags of `init`. */
export interface InitFlags {
  id?: string;
  name?: string;
  template?: InitTemplate;
}

/**
 * What a folder may already hold for `init` to use it: what `npm init` / `npm install` and
 * `git init` leave behind. Anything else is someone's work, and `init` never writes over it.
 */
const ALLOWED = new Set(['package.json', 'package-lock.json', 'node_modules', '.git']);

/** Where a template lives: shipped beside `dist/` in the package, else (mock) the mock provider of the monorepo. */
async function templateDir(template: InitTemplate): Promise<string> {
  const candidates = template === 'minimal' ? ['../template-minimal/'] : ['../template/', '../../mock-provider/'];
  for (const candidate of candidates) {
    const dir = fileURLToPath(new URL(candidate, import.meta.url));
    if (
      await stat(join(dir, 'MediaConduit.provider.yml')).then(
        () => true,
        () => false,
      )
    )
      return dir;
  }
  throw new MediaConduitError({
    code: 'INVALID_OPTIONS',
    message: `init: the ${template} template is missing from this @mediaconduit/cli installation; reinstall @mediaconduit/cli, or run pnpm build in the MediaConduit repository`,
  });
}

/** The provider id a folder's name suggests (`My Images` → `my-images`), if it makes one. */
export function idFromFolder(folder: string): string | undefined {
  const id = basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return ID.test(id) ? id : undefined;
}

/**
 * Scaffolds a new provider in `dir`: the minimal template (one model, a few files) or the mock
 * provider, with its id and name filled in. The folder may be new, empty, or hold only what
 * `npm install` and `git init` leave (`package.json`, whose fields are kept and completed,
 * `package-lock.json`, `node_modules`, `.git`). Returns the files written.
 */
export async function initProvider(dir: string, options: { id: string; name?: string; template?: InitTemplate }): Promise<string[]> {
  const { id } = options;
  const template = options.template ?? 'minimal';
  if (!ID.test(id)) throw new UsageError(`--id "${id}" is not a provider id; use lower-case letters, digits and "-" (for example --id acme-images)`, 'init');
  const name =
    options.name ??
    id
      .split('-')
      .filter(Boolean)
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(' ');
  if (/[\n\r"'\\`$]/.test(name) || name.trim() === '') throw new UsageError('--name must be one line of text without quotes, backslashes or $', 'init');
  const target = resolve(dir);
  const existing: string[] = await readdir(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    if (error.code === 'ENOTDIR') throw new UsageError(`${target} is a file; give a folder to create the provider in`, 'init');
    throw error;
  });
  const foreign = existing.filter((entry) => !ALLOWED.has(entry));
  if (foreign.length > 0) {
    throw new UsageError(
      `${target} already holds ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''}; init writes into a new or empty folder (or one with only ${[...ALLOWED].join(', ')}); pick another folder`,
      'init',
    );
  }
  const userPackage = existing.includes('package.json') ? await readUserPackage(join(target, 'package.json')) : undefined;
  await mkdir(target, { recursive: true });
  const from = await templateDir(template);
  // The mock's own tests run inside the MediaConduit repository; a new provider is checked with `mediaconduit validate`.
  await cp(from, target, {
    recursive: true,
    filter: (source) => !/(^|[\\/])(node_modules|dist|test|LICENSE|tsconfig\.build\.json|package\.json)$/.test(source.slice(from.length)),
  });

  // Shipped as `gitignore` (npm never packs a .gitignore), so that node_modules is never committed.
  await rename(join(target, 'gitignore'), join(target, '.gitignore')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  const edit = async (file: string, change: (text: string) => string) => writeFile(join(target, file), change(await readFile(join(target, file), 'utf8')));
  const fill = (text: string) => text.replaceAll('__ID__', id).replaceAll('__NAME__', name).replaceAll('__CONTRACT__', CONTRACT_VERSION);
  if (template === 'minimal') {
    for (const file of ['MediaConduit.provider.yml', 'README.md', 'src/index.ts']) await edit(file, fill);
  } else {
    await edit('MediaConduit.provider.yml', (text) =>
      text
        .replace(/^id: .*$/m, `id: ${id}`)
        .replace(/^name: .*$/m, `name: ${name}`)
        .replace(/^version: .*$/m, 'version: 0.1.0')
        .replace(/^description: .*$/m, `description: ${name}, a MediaConduit provider (started from the mock template)`),
    );
    await edit('src/provider-info.ts', (text) => text.replace(/PROVIDER_ID = '[^']*'/, `PROVIDER_ID = '${id}'`).replace(/PROVIDER_NAME = '[^']*'/, `PROVIDER_NAME = '${name}'`));
    await edit('README.md', (text) =>
      text.replace(/^# .*$/m, `# ${name}\n\nA MediaConduit provider scaffolded with \`mediaconduit init --template mock\` from the mock provider.`),
    );
  }
  await writeFile(join(target, 'package.json'), `${JSON.stringify(providerPackage(id, name, userPackage), null, 2)}\n`);
  return (await readdir(target, { recursive: true }))
    .map(String)
    .filter((file) => !/^(node_modules|\.git)([\\/]|$)/.test(file))
    .sort();
}

async function readUserPackage(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {}
  throw new UsageError(`${path} is not a JSON object; fix it or remove it, then run init again`, 'init');
}

const record = (value: unknown): Record<string, string> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...(value as Record<string, string>) } : {});

/**
 * The provider's package.json: the contract is a peer (the host provides it; the loader never
 * installs it into the bundle) and a dev dependency (for types); the CLI runs `validate`. What the
 * folder's own package.json says is kept; `@mediaconduit/*` packages it lists as dependencies
 * (as `npm install <tarball>` does) move to devDependencies, since the loader installs a
 * provider's dependencies from the npm registry only and the host provides the contract.
 */
function providerPackage(id: string, name: string, user: Record<string, unknown> = {}): Record<string, unknown> {
  const dependencies = record(user.dependencies);
  const devDependencies = record(user.devDependencies);
  for (const [dep, spec] of Object.entries(dependencies)) {
    if (!dep.startsWith('@mediaconduit/')) continue;
    devDependencies[dep] ??= spec;
    delete dependencies[dep];
  }
  const wanted: Record<string, string> = {
    '@mediaconduit/cli': `^${CLI_VERSION}`,
    '@mediaconduit/provider': `^${CONTRACT_VERSION}`,
    '@types/node': '^20.19.0',
    typescript: '^5.9.0',
  };
  for (const [dep, spec] of Object.entries(wanted)) devDependencies[dep] ??= spec;
  const sorted = (deps: Record<string, string>) => Object.fromEntries(Object.entries(deps).sort(([a], [b]) => a.localeCompare(b)));
  return {
    name: `mediaconduit-provider-${id}`,
    version: '0.1.0',
    private: true,
    description: `${name}, a MediaConduit provider`,
    ...user,
    type: 'module',
    scripts: { typecheck: 'tsc --noEmit', validate: 'mediaconduit validate .', test: 'tsc --noEmit && mediaconduit validate .', ...record(user.scripts) },
    ...(Object.keys(dependencies).length > 0 ? { dependencies: sorted(dependencies) } : { dependencies: undefined }),
    peerDependencies: { '@mediaconduit/provider': `^${CONTRACT_VERSION}`, ...record(user.peerDependencies) },
    devDependencies: sorted(devDependencies),
  };
}

/** `mediaconduit init [dir] [--id <id>] [--name <name>] [--template minimal|mock]`. */
export async function initCommand(ctx: Context, dir: string, flags: InitFlags): Promise<number> {
  const at = resolve(ctx.io.cwd, dir);
  const id = flags.id ?? idFromFolder(at);
  if (id === undefined) throw new UsageError(`the folder name "${basename(at)}" makes no provider id; pass one: --id acme-images`, 'init');
  const template = flags.template ?? 'minimal';
  const files = await initProvider(at, { id, template, ...(flags.name ? { name: flags.name } : {}) });
  ctx.out.result({ id, dir: at, template, files });
  const here = at === resolve(ctx.io.cwd);
  // A global `mediaconduit` is on PATH; one installed into the folder (or none yet) runs through npx.
  const cli = isGlobal(ctx.io.env) ? 'mediaconduit' : 'npx mediaconduit';
  const gitExists = await stat(join(at, '.git')).then(
    () => true,
    () => false,
  );
  ctx.out.line(`Created provider "${id}" (${template} template) in ${at}: ${files.length} files. Next:`);
  // Quoted for the shell when it must be, so that the line can be pasted as it is.
  if (!here) ctx.out.line(`  cd ${shellWord(dir)}`);
  ctx.out.line('  npm install                                   # the contract types and the mediaconduit command');
  ctx.out.line(`  ${gitExists ? '' : 'git init && '}git add -A && git commit -m "first version"   # a provider loads from a commit`);
  ctx.out.line(`  ${cli} validate .                         # the conformance checks`);
  ctx.out.line(`  ${cli} run . ${template === 'minimal' ? `${id}/echo-1` : 'mock/haiku-1'} "hello"`);
  ctx.out.line('  git tag v0.1.0 && git push --tags             # then load it as github:<you>/<repo>@v0.1.0');
  return EXIT.OK;
}

/** Whether this CLI runs from npm's global folder (then `mediaconduit` is on PATH as it is). */
function isGlobal(env: NodeJS.ProcessEnv): boolean {
  const here = fileURLToPath(import.meta.url);
  const prefixes = [env.npm_config_prefix, dirname(dirname(process.execPath))].filter((p): p is string => Boolean(p));
  return prefixes.some((prefix) => here.startsWith(join(prefix, 'lib', 'node_modules') + sep) || here.startsWith(join(prefix, 'node_modules') + sep));
}
