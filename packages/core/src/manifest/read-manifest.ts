import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, posix } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { readCapped } from '../util/read-capped.js';
import { load, type YAMLException } from 'js-yaml';
import { MANIFEST_FILE, type ProviderManifest } from './manifest.js';
import { manifestSchema } from './manifest-schema.js';
import { yamlLocations } from './yaml-locations.js';
import { isInside } from '../util/is-inside.js';

/** Largest manifest accepted, in bytes. */
export const MANIFEST_MAX_BYTES = 64 * 1024;

/** One problem found in a manifest. */
export interface ManifestProblem {
  /** Dotted path of the value, `''` for the whole document. */
  path: string;
  /** 1-based line, when known. */
  line?: number;
  message: string;
}

/**
 * Reads and validates the manifest of the provider in `providerDir`: size cap, YAML without
 * aliases and with limited depth and no duplicate keys, a strict schema, and path checks on
 * `entry` (inside the folder, no symlink out, a regular file).
 *
 * @throws `INVALID_MANIFEST` listing every problem with its path and line.
 */
export async function readManifest(providerDir: string, label = providerDir): Promise<ProviderManifest> {
  const file = join(providerDir, MANIFEST_FILE);
  const where = `${label}/${MANIFEST_FILE}`;
  let bytes: Buffer | undefined;
  try {
    bytes = await readCapped(file, { maxBytes: MANIFEST_MAX_BYTES, code: 'INVALID_MANIFEST', what: MANIFEST_FILE });
  } catch (error) {
    if (!MediaConduitError.hasCode(error, 'INVALID_MANIFEST')) throw error;
    throw invalid(where, [{ path: '', message: error.message }]);
  }
  if (!bytes)
    throw invalid(where, [
      { path: '', message: `no ${MANIFEST_FILE} in the provider folder; add one (see the README's manifest reference) or point the specifier at the right subfolder` },
    ]);
  const source = bytes.toString('utf8');
  return parseManifest(source, where, providerDir);
}

/** Validates manifest text; checks `entry` on disk when `providerDir` is given. */
export async function parseManifest(source: string, where: string, providerDir?: string): Promise<ProviderManifest> {
  let document: unknown;
  try {
    document = load(source, { maxAliases: 0, maxDepth: 16, filename: where });
  } catch (error) {
    const yaml = error as YAMLException;
    const line = yaml.mark ? yaml.mark.line + 1 : undefined;
    const reason = /alias/i.test(yaml.reason ?? '') ? `${yaml.reason}: YAML aliases are not allowed in manifests; write the value out` : (yaml.reason ?? yaml.message);
    throw invalid(where, [{ path: '', ...(line === undefined ? {} : { line }), message: reason }]);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(where, [{ path: '', line: 1, message: 'the manifest must be a mapping of fields (id, name, version, …)' }]);
  }
  const result = manifestSchema.safeParse(document);
  let cachedLocations: Map<string, number> | undefined;
  const locations = () => (cachedLocations ??= yamlLocations(source));
  const problems: ManifestProblem[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      const unknownKeys = issue.code === 'unrecognized_keys' ? issue.keys : [];
      if (unknownKeys.length > 0) {
        for (const key of unknownKeys) {
          const keyPath = path ? `${path}.${key}` : key;
          problems.push(located(locations(), keyPath, `unknown field "${key}"; remove it or check its spelling`));
        }
        continue;
      }
      const missing = valueAt(document, issue.path) === undefined;
      problems.push(located(locations(), path, missing && issue.code !== 'custom' ? 'is required' : issue.message));
    }
  }
  const manifest = result.success ? (result.data as ProviderManifest) : undefined;
  if (manifest) {
    const entryProblem = checkRelativePath(manifest.entry);
    if (entryProblem) problems.push(located(locations(), 'entry', entryProblem));
    else if (providerDir) {
      const onDisk = await checkEntryOnDisk(providerDir, manifest.entry);
      if (onDisk) problems.push(located(locations(), 'entry', onDisk));
    }
  }
  if (problems.length > 0 || !manifest) throw invalid(where, problems);
  return manifest;
}

function valueAt(document: unknown, path: readonly PropertyKey[]): unknown {
  let value = document;
  for (const key of path) value = typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

function located(locations: Map<string, number>, path: string, message: string): ManifestProblem {
  const line = locations.get(`${path}#key`) ?? locations.get(path) ?? nearestParentLine(locations, path);
  return { path, ...(line === undefined ? {} : { line }), message };
}

function nearestParentLine(locations: Map<string, number>, path: string): number | undefined {
  const parts = path.split('.');
  while (parts.length > 0) {
    parts.pop();
    const line = locations.get(`${parts.join('.')}#key`);
    if (line !== undefined) return line;
  }
  return undefined;
}

/** A reason why `relative` cannot be a path inside the provider folder, or `undefined`. */
export function checkRelativePath(relative: string): string | undefined {
  if (isAbsolute(relative) || /^[A-Za-z]:/.test(relative)) return 'must be a relative path inside the provider folder, not an absolute path';
  if (relative.includes('\\') || relative.includes('\0')) return 'must use "/" separators and no special characters';
  if (posix.normalize(relative).split('/').includes('..')) return 'must stay inside the provider folder (no "..")';
  return undefined;
}

async function checkEntryOnDisk(providerDir: string, entry: string): Promise<string | undefined> {
  const path = join(providerDir, entry);
  const stat = await lstat(path).catch(() => undefined);
  if (!stat) return `file "${entry}" does not exist in the provider folder`;
  const [root, real] = await Promise.all([realpath(providerDir), realpath(path).catch(() => undefined)]);
  if (!real || !isInside(root, real)) return `"${entry}" is a symlink that leads outside the provider folder`;
  const target = await lstat(real);
  if (!target.isFile()) return `"${entry}" must be a regular file, not a ${target.isDirectory() ? 'folder' : 'device or special file'}`;
  return undefined;
}

function invalid(where: string, problems: ManifestProblem[]) {
  const lines = problems.map((p) => `  - ${p.line === undefined ? '' : `line ${p.line}, `}${p.path || '(document)'}: ${p.message}`);
  return mcError('INVALID_MANIFEST', `manifest ${where} is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, {
    details: { problems },
  });
}
