import { statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CAPABILITIES, CONTRACT_VERSION, MediaConduitError } from '@mediaconduit/provider';
import { resolveLocalSpecifier } from './local-specifier.js';
import { CLI_VERSION } from './version.js';

const HELP = `mediaconduit ${CLI_VERSION} — load AI media providers from Git

Usage:
  mediaconduit init <dir> --id <id> [--name <name>]
                                         scaffold a new provider from the template
  mediaconduit validate <folder|specifier>
                                         run the conformance checks on a provider
  mediaconduit load <specifier>          load a provider and list its models per capability
  mediaconduit update <specifier>...     re-resolve providers and rewrite their lockfile entries
  mediaconduit cache verify [--fix]      recompute cache hashes; --fix deletes broken entries
  mediaconduit cache prune               delete cache entries the lockfile does not pin

Options:
  --cache-dir <dir>     cache folder (default: $MEDIACONDUIT_CACHE_DIR or ./cache)
  --lockfile <file>     lockfile (default: $MEDIACONDUIT_LOCKFILE or ./mediaconduit.lock.json)
  --offline             never touch the network
  --frozen              refuse lockfile changes
  --accept-moved-tags   with update: accept a tag that now points at another commit
  -v, --version         print the versions of the CLI, core and the provider contract
  -h, --help            show this help

Specifiers: github:owner/repo[/dir][@ref], https://github.com/owner/repo[@ref],
https://host/path/repo.git[//dir][@ref], file:///abs/repo[//dir][@ref], or a local repository
path such as ./repo[//dir][@ref] (relative to the current folder). A ref is a tag,
branch, commit or semver range (@^1.2).`;

const parseOptions = (argv: readonly string[]) =>
  parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'cache-dir': { type: 'string' },
      lockfile: { type: 'string' },
      offline: { type: 'boolean' },
      frozen: { type: 'boolean' },
      fix: { type: 'boolean' },
      'accept-moved-tags': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
      id: { type: 'string' },
      name: { type: 'string' },
    },
  });

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: readonly string[],
  out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  err: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    err(`mediaconduit: ${(error as Error).message}\nRun "mediaconduit --help" for usage.`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...given] = positionals;
  if (values.version) {
    const { CORE_VERSION } = await import('@mediaconduit/core');
    out(`mediaconduit ${CLI_VERSION} (@mediaconduit/core ${CORE_VERSION}, provider contract ${CONTRACT_VERSION}, node ${process.versions.node})`);
    return 0;
  }
  // Relative local paths mean the user's folder, whichever folder the command was started from.
  const isFolder = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
  const rest = command === 'init' ? given : given.map((arg) => resolveLocalSpecifier(arg, process.cwd(), isFolder));
  if (values.help || !command) {
    out(HELP);
    return command || values.help ? 0 : 2;
  }
  const registryOptions = {
    ...(values['cache-dir'] ? { cacheDir: values['cache-dir'] } : {}),
    ...(values.lockfile ? { lockfile: values.lockfile } : {}),
    ...(values.offline ? { offline: true } : {}),
    ...(values.frozen ? { frozen: true } : {}),
  };
  try {
    if (command === 'init' && rest.length === 1) {
      if (!values.id) {
        err('mediaconduit init: --id is required, e.g. mediaconduit init my-provider --id acme-images');
        return 2;
      }
      const { initProvider } = await import('./init-provider.js');
      const files = await initProvider(rest[0]!, { id: values.id, ...(values.name ? { name: values.name } : {}) });
      const { resolve } = await import('node:path');
      const dir = resolve(rest[0]!);
      out(`Created provider "${values.id}" in ${dir} (${files.length} files). Next:`);
      out(`  cd ${dir} && git init && git add -A && git commit -m "New provider"`);
      out(`  mediaconduit validate ${dir}`);
      out(`  then load it: registry.getProvider('file://${dir}'), or push it and use 'github:<you>/<repo>@v0.1.0'`);
      return 0;
    }
    if (command === 'validate' && rest.length === 1) {
      const { runValidate } = await import('./validate.js');
      return await runValidate(rest[0]!, registryOptions, out);
    }
    const { createProviderRegistry } = await import('@mediaconduit/core');
    if (command === 'load' && rest.length === 1) {
      const registry = createProviderRegistry({
        ...registryOptions,
        onProgress: (e) => {
          if (e.status !== 'start') err(`  ${e.phase} ${e.status}${e.durationMs === undefined ? '' : ` ${e.durationMs.toFixed(0)} ms`}`);
        },
      });
      const provider = await registry.getProvider(rest[0]!);
      out(`${provider.name} (${provider.id}, ${provider.type})`);
      for (const capability of CAPABILITIES) {
        if (!provider.capabilities.includes(capability)) continue;
        const models = await provider.listModels({ capability });
        out(`  ${capability}: ${models.map((m) => m.id).join(', ') || '(none)'}`);
      }
      await registry.close();
      return 0;
    }
    if (command === 'update' && rest.length > 0) {
      const registry = createProviderRegistry(registryOptions);
      for (const specifier of rest) {
        const result = await registry.update(specifier, { acceptMovedTags: values['accept-moved-tags'] === true });
        const from = result.before ? result.before.commit.slice(0, 12) : 'new';
        out(
          `${specifier}: ${result.changed ? `${from} → ${result.after.commit.slice(0, 12)}` : `unchanged at ${result.after.commit.slice(0, 12)}`}${result.after.resolved ? ` (${result.after.resolved})` : ''}`,
        );
      }
      await registry.close();
      return 0;
    }
    if (command === 'cache' && (rest[0] === 'verify' || rest[0] === 'prune') && rest.length === 1) {
      const registry = createProviderRegistry(registryOptions);
      const { cacheDir, lockfile } = registry.options;
      if (rest[0] === 'verify') {
        const { verifyCache } = await import('@mediaconduit/core');
        const { checked, problems } = await verifyCache(cacheDir, { fix: values.fix === true });
        for (const p of problems) out(`BROKEN ${p.path}: ${p.message}${values.fix ? ' (deleted)' : ''}`);
        out(
          `checked ${checked} entries in ${cacheDir}: ${problems.length === 0 ? 'all intact' : `${problems.length} broken${values.fix ? ', deleted' : '; run with --fix to delete them'}`}`,
        );
        return problems.length === 0 || values.fix ? 0 : 1;
      }
      const { pruneCache, readLockfile } = await import('@mediaconduit/core');
      if (lockfile === false) {
        err('mediaconduit cache prune: needs a lockfile to know what to keep');
        return 2;
      }
      const removed = await pruneCache(cacheDir, readLockfile(lockfile));
      out(`removed ${removed.length} entr${removed.length === 1 ? 'y' : 'ies'} from ${cacheDir}`);
      return 0;
    }
  } catch (error) {
    if (MediaConduitError.isInstance(error)) {
      err(`error ${error.code}: ${error.message}`);
      return 1;
    }
    throw error;
  }
  err(`mediaconduit: unknown command "${positionals.join(' ')}"\nRun "mediaconduit --help" for usage.`);
  return 2;
}
