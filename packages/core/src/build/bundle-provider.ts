import { lstat, realpath } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { extname, join, relative, resolve } from 'node:path';
import { CONTRACT_VERSION } from '@mediaconduit/provider';
import type { BuildContext, Loader, Message, Plugin } from 'esbuild';
import { mcError } from '../util/errors.js';
import { readCapped } from '../util/read-capped.js';
import { within } from '../util/within.js';
import { contractShimSource } from './contract-binding.js';
import { globImportProblems } from './glob-imports.js';
import { isInside } from '../util/is-inside.js';

// esbuild is CommonJS. require() loads it as it is; an ESM import first scans its whole source for
// export names (about 10 ms of every cold load).
const { context, transform } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');

/**
 * Starts esbuild's service process ahead of the first build, with an empty transform: a cold load
 * calls it while git runs, since starting the process blocks this thread for about 10 ms. Never
 * fails (the build reports a service that cannot start).
 */
export async function startBuildService(): Promise<void> {
  try {
    await transform('');
  } catch {
    // The build says what is wrong.
  }
}

/** What to bundle. */
export interface BundleRequest {
  /** Root of the checkout: every input must lie inside it (or in `dependenciesDir`). */
  checkoutDir: string;
  /** Provider folder inside the checkout. */
  providerDir: string;
  /** Entry file relative to `providerDir`. */
  entry: string;
  /** Folder holding the provider's installed `node_modules`, if it has dependencies. */
  dependenciesDir?: string | undefined;
  /** For messages: the specifier being built. */
  label: string;
  /** Gives up (and cancels esbuild's work) after this long. */
  timeoutMs: number;
  /** Gives up (and cancels esbuild's work) when aborted. */
  signal?: AbortSignal | undefined;
}

/** Build settings; part of every bundle key, so a change here rebuilds every bundle (see `BUILD_SETTINGS_ID`). */
export const BUILD_SETTINGS = { format: 'esm', platform: 'node', target: 'node20', version: 3 } as const;

/** Largest source file read. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

/** esbuild's loaders for the file types it reads without configuration. */
const LOADERS: Readonly<Record<string, Loader>> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.json': 'json',
  '.txt': 'text',
  '.css': 'css',
};

/**
 * The bundle's own `require` (for CommonJS code that requires Node built-ins): anchored at the file
 * system's root, since a bundle is imported from its verified bytes, not from a file, and has no
 * `node_modules` of its own.
 */
const BANNER = "import { createRequire as __mcCreateRequire } from 'node:module'; const require = __mcCreateRequire('file:///');";

/**
 * Bundles a provider's entry into one ESM file with esbuild. `@mediaconduit/provider` (the
 * contract) is bound to the host's copy. Every source file is read here, not by esbuild: only a
 * regular file whose real path lies inside the checkout (or the installed dependencies), with a
 * size cap. No `tsconfig.json` is read. Within `timeoutMs`, else `TIMEOUT` and esbuild's work is
 * cancelled, as when `signal` aborts.
 *
 * @throws `BUILD_FAILED` with esbuild's diagnostics (file and line) or the offending file.
 */
export async function bundleProvider(request: BundleRequest): Promise<{ code: Uint8Array; inputs: string[] }> {
  const loaded = new Set<string>();
  // Aborted by the time limit or the caller: from then on the plugin hands esbuild no more files,
  // and esbuild's work is cancelled; the wait itself ends at once.
  const stopping = new AbortController();
  let builder: BuildContext | undefined;
  const stop = () => {
    stopping.abort();
    const started = builder;
    if (started) void started.cancel().finally(() => started.dispose().catch(() => {}));
  };
  const onAbort = () => stop();
  request.signal?.addEventListener('abort', onAbort, { once: true });
  let roots: string[] = [];
  const build = async () => {
    roots = await Promise.all([request.checkoutDir, ...(request.dependenciesDir ? [request.dependenciesDir] : [])].map((dir) => realpath(dir)));
    const created = await context({
      absWorkingDir: roots[0],
      entryPoints: [join(request.providerDir, request.entry)],
      bundle: true,
      write: false,
      outfile: join(roots[0]!, 'provider.bundle.mjs'),
      format: BUILD_SETTINGS.format,
      platform: BUILD_SETTINGS.platform,
      target: BUILD_SETTINGS.target,
      metafile: true,
      logLevel: 'silent',
      legalComments: 'none',
      charset: 'utf8',
      nodePaths: request.dependenciesDir ? [join(request.dependenciesDir, 'node_modules')] : [],
      // Given here, so that esbuild reads no tsconfig.json of the repository (nor, through a link, any other file).
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
      banner: { js: BANNER },
      plugins: [contractBindingPlugin(), dependencyPlugin(roots, request.dependenciesDir ? roots[1] : undefined), confinementPlugin(roots, loaded, stopping.signal)],
    });
    if (stopping.signal.aborted) {
      void created.dispose().catch(() => {});
      throw stopping.signal.reason;
    }
    builder = created;
    return created.rebuild();
  };
  try {
    // The limit covers the whole step: starting esbuild's service included.
    const result = await within(
      request.timeoutMs,
      build(),
      () => mcError('TIMEOUT', `build ${request.label}: esbuild did not finish within ${request.timeoutMs} ms; raise the \`buildTimeoutMs\` option`, { retryable: true }),
      stop,
    ).catch(async (error: { errors?: Message[] }) => {
      if (request.signal?.aborted) throw request.signal.reason;
      if (!error.errors) throw error;
      throw buildError(request.label, await Promise.all(error.errors.map((m) => quotable(m, roots, loaded))));
    });
    const output = result.outputFiles?.[0];
    if (!output) throw mcError('BUILD_FAILED', `build ${request.label}: esbuild produced no output`);
    return { code: output.contents, inputs: Object.keys(result.metafile?.inputs ?? {}).sort() };
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    // Not awaited: the output is in hand, and the service ends the context on its own time.
    if (!stopping.signal.aborted) void builder?.dispose().catch(() => {});
  }
}

/**
 * Binds `@mediaconduit/provider` to the host's contract. `@mediaconduit/core` (what providers
 * imported before the contract had its own package) is bound the same way, so old providers that
 * use only contract names keep building; any other `@mediaconduit/*` import is refused.
 */
function contractBindingPlugin(): Plugin {
  return {
    name: 'mediaconduit-contract-binding',
    setup(b) {
      b.onResolve({ filter: /^@mediaconduit\// }, (args) => {
        if (args.path === '@mediaconduit/provider' || args.path === '@mediaconduit/core') return { path: 'contract', namespace: 'mediaconduit-contract' };
        return { errors: [{ text: `"${args.path}" cannot be imported by a provider; a provider imports only "@mediaconduit/provider" (the contract) from MediaConduit` }] };
      });
      b.onLoad({ filter: /.*/, namespace: 'mediaconduit-contract' }, () => ({ contents: contractShimSource(), loader: 'js' }));
    },
  };
}

/** Marks the plugin's own `resolve` calls, which it lets esbuild answer. */
const OWN_RESOLVE = Symbol('mediaconduit-dependency-resolve');

/**
 * Resolves a package import (`fflate`, `zod/mini`) to the provider's own copy. esbuild looks for a
 * package in every `node_modules` above the importing file before it tries the installed
 * dependencies (`nodePaths`), so a checkout in a cache inside an application's folder would find
 * the application's copy first, another version outside the checkout. Here the provider's files
 * look among its installed dependencies first, then in its repository (a committed
 * `node_modules`); a copy found anywhere else is never taken: the import is an error that names it.
 * A package found nowhere is left to esbuild, which reports it (or, for a `require()` in a `try`
 * block, leaves the call to fail at run time, as optional packages expect).
 */
function dependencyPlugin(roots: readonly string[], dependenciesDir: string | undefined): Plugin {
  return {
    name: 'mediaconduit-dependencies',
    setup(b) {
      // A bare specifier: not relative, absolute, a package's own `#import`, or a built-in.
      b.onResolve({ filter: /^[^./#]/ }, async (args) => {
        if (args.pluginData === OWN_RESOLVE || isBuiltin(args.path)) return undefined;
        let outside = false;
        const own = async (resolveDir: string) => {
          const found = await b.resolve(args.path, { kind: args.kind, resolveDir, importer: args.importer, pluginData: OWN_RESOLVE });
          if (found.errors.length > 0) return undefined;
          const result = { path: found.path, external: found.external, namespace: found.namespace, sideEffects: found.sideEffects, suffix: found.suffix };
          if (found.external || found.namespace !== 'file') return result;
          const real = await realpath(found.path).catch(() => undefined);
          if (real !== undefined && inside(roots, real)) return result;
          outside = true;
          return undefined;
        };
        // From the provider's own files: its installed dependencies first (its lockfile decides), then
        // a copy committed to its repository. From a dependency: beside it, as Node would.
        const fromDependency = dependenciesDir !== undefined && inside([dependenciesDir], args.importer);
        for (const dir of fromDependency || !dependenciesDir ? [args.resolveDir] : [dependenciesDir, args.resolveDir]) {
          const found = await own(dir);
          if (found) return found;
        }
        // Found nowhere: esbuild's own answer (an error, or a warning for a require() in a try block,
        // the way optional packages are loaded).
        if (!outside) return undefined;
        return {
          errors: [
            {
              text: `"${args.path}" is not among the provider's installed dependencies; add it to its package.json "dependencies" and its package-lock.json (npm install ${args.path
                .split('/')
                .slice(0, args.path.startsWith('@') ? 2 : 1)
                .join('/')})`,
            },
          ],
        };
      });
    },
  };
}

/**
 * Reads every input itself: its real path must lie inside the allowed roots, and it is read as a
 * regular file, without following a link, up to a size cap. esbuild then never opens a source file.
 */
function confinementPlugin(roots: readonly string[], loaded: Set<string>, signal: AbortSignal | undefined): Plugin {
  return {
    name: 'mediaconduit-confinement',
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        if (signal?.aborted) return { errors: [{ text: 'the build was stopped' }] };
        const real = await realpath(args.path).catch(() => undefined);
        if (real === undefined || !inside(roots, real)) {
          return {
            errors: [
              { text: `input file ${args.path} lies outside the provider's checkout; providers may only import files from their own repository and installed dependencies` },
            ],
          };
        }
        const loader = LOADERS[extname(real).toLowerCase()];
        if (!loader) return { errors: [{ text: `input ${relative(roots[0]!, real)}: esbuild has no loader for "${extname(real)}" files; import only code and JSON` }] };
        const contents = await readCapped(real, { maxBytes: MAX_INPUT_BYTES, code: 'BUILD_FAILED', what: `input ${relative(roots[0]!, real)}` }).catch((error: Error) => error);
        if (contents instanceof Error) return { errors: [{ text: contents.message }] };
        if (contents === undefined) return { errors: [{ text: `input ${relative(roots[0]!, real)} does not exist` }] };
        // Before esbuild parses the file: a glob-style import would have it list folders outside the roots.
        const globs = await globImportProblems(contents.toString('utf8'), loader, real, roots, transform);
        if (globs.length > 0) return { errors: globs.map((text) => ({ text: `input ${relative(roots[0]!, real)}: ${text}` })) };
        loaded.add(args.path);
        return { contents, loader };
      });
    },
  };
}

function inside(roots: readonly string[], real: string): boolean {
  return roots.some((root) => isInside(root, real));
}

/**
 * A diagnostic as it may be shown: one about a file this build read itself (a source file, checked
 * to be a regular file inside the checkout) as esbuild gave it; one about any other file esbuild
 * read (a `package.json`) only when that file is a regular file inside the checkout, else without
 * its text or line, which could quote a file from anywhere.
 */
async function quotable(message: Message, roots: readonly string[], loaded: ReadonlySet<string>): Promise<Message> {
  const file = message.location?.file;
  if (!file) return message;
  const path = resolve(roots[0]!, file);
  if (loaded.has(path)) return message;
  const stat = await lstat(path).catch(() => undefined);
  const real = stat?.isFile() ? await realpath(path).catch(() => undefined) : undefined;
  if (real !== undefined && inside(roots, real)) return message;
  return { ...message, text: `${file} could not be read: it is not a regular file of the provider's repository`, location: { ...message.location!, lineText: '' } };
}

/** Explains esbuild's "No matching export" for a name the contract does not have. */
function contractHint(message: Message): string {
  const missing = /^No matching export in "mediaconduit-contract:contract" for import "([^"]+)"/.exec(message.text);
  if (!missing) return message.text;
  return `"${missing[1]}" is not part of the provider contract @mediaconduit/provider ${CONTRACT_VERSION}; providers may import only its exports (spec types, MediaConduitError, assets, encodePng, encodeWav, decodeWav16, closestMatches, modelWithCapability). Loader functions such as createHttpClient come through the provider context (context.createHttpClient)`;
}

function buildError(label: string, errors: readonly Message[]) {
  const lines = errors.slice(0, 10).map((m) => {
    const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
    const snippet = m.location?.lineText ? `\n      ${m.location.lineText.trim()}` : '';
    return `  ${at}${contractHint(m)}${snippet}`;
  });
  const first = errors[0]?.location;
  return mcError(
    'BUILD_FAILED',
    `build ${label}: ${errors.length || 'an'} error${errors.length === 1 ? '' : 's'}:\n${lines.join('\n') || '  esbuild failed without a diagnostic'}`,
    {
      // esbuild's own error holds every diagnostic's text and line: it is not kept as the cause.
      details: {
        errors: errors.map((m) => ({ text: contractHint(m), file: m.location?.file, line: m.location?.line, column: m.location ? m.location.column + 1 : undefined })),
        ...(first ? { file: first.file, line: first.line } : {}),
      },
    },
  );
}
