import { lstat, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { CONTRACT_VERSION } from '@mediaconduit/provider';
import type { Message, Plugin } from 'esbuild';
import { mcError } from '../util/errors.js';
import { contractShimSource } from './contract-binding.js';

// esbuild is CommonJS. require() loads it as it is; an ESM import first scans its whole source for
// export names (about 10 ms of every cold load).
const { build } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');

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
}

/** Build settings; part of every bundle key, so a change here rebuilds every bundle. */
export const BUILD_SETTINGS = { format: 'esm', platform: 'node', target: 'node20', version: 1 } as const;

/**
 * Bundles a provider's entry into one ESM file with esbuild. `@mediaconduit/provider` (the
 * contract) is bound to the host's copy; every input must be a regular file inside the checkout.
 *
 * @throws `BUILD_FAILED` with esbuild's diagnostics (file and line) or the offending file.
 */
export async function bundleProvider(request: BundleRequest): Promise<{ code: Uint8Array; inputs: string[] }> {
  const roots = await Promise.all([request.checkoutDir, ...(request.dependenciesDir ? [request.dependenciesDir] : [])].map((dir) => realpath(dir)));
  const result = await build({
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
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: true } },
    banner: { js: "import { createRequire as __mcCreateRequire } from 'node:module'; const require = __mcCreateRequire(import.meta.url);" },
    plugins: [contractBindingPlugin(), confinementPlugin(roots)],
  }).catch((error: { errors?: Message[] }) => {
    throw buildError(request.label, error.errors ?? [], error);
  });
  const output = result.outputFiles[0];
  if (!output) throw mcError('BUILD_FAILED', `build ${request.label}: esbuild produced no output`);
  return { code: output.contents, inputs: Object.keys(result.metafile.inputs).sort() };
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

/** Refuses any input whose real path is outside the allowed roots, or that is not a regular file. */
function confinementPlugin(roots: readonly string[]): Plugin {
  return {
    name: 'mediaconduit-confinement',
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const real = await realpath(args.path).catch(() => args.path);
        const inside = roots.some((root) => real === root || real.startsWith(root + sep));
        if (!inside) {
          return {
            errors: [
              { text: `input file ${args.path} lies outside the provider's checkout; providers may only import files from their own repository and installed dependencies` },
            ],
          };
        }
        const stat = await lstat(real);
        if (!stat.isFile()) return { errors: [{ text: `input ${relative(roots[0]!, real)} is not a regular file` }] };
        return undefined;
      });
    },
  };
}

/** Explains esbuild's "No matching export" for a name the contract does not have. */
function contractHint(message: Message): string {
  const missing = /^No matching export in "mediaconduit-contract:contract" for import "([^"]+)"/.exec(message.text);
  if (!missing) return message.text;
  return `"${missing[1]}" is not part of the provider contract @mediaconduit/provider ${CONTRACT_VERSION}; providers may import only its exports (spec types, MediaConduitError, assets, encodePng, encodeWav, decodeWav16, closestMatches, modelWithCapability). Loader functions such as createHttpClient come through the provider context (context.createHttpClient)`;
}

function buildError(label: string, errors: readonly Message[], cause: unknown) {
  const lines = errors.slice(0, 10).map((m) => {
    const at = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
    const snippet = m.location?.lineText ? `\n      ${m.location.lineText.trim()}` : '';
    return `  ${at}${contractHint(m)}${snippet}`;
  });
  const first = errors[0]?.location;
  return mcError('BUILD_FAILED', `build ${label}: ${errors.length || 'an'} error${errors.length === 1 ? '' : 's'}:\n${lines.join('\n') || `  ${String(cause)}`}`, {
    cause,
    details: {
      errors: errors.map((m) => ({ text: contractHint(m), file: m.location?.file, line: m.location?.line, column: m.location ? m.location.column + 1 : undefined })),
      ...(first ? { file: first.file, line: first.line } : {}),
    },
  });
}
