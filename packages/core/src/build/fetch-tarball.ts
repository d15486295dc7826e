import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { forbiddenHostReason, isLoopbackHost } from '../source/parse-specifier.js';
import type { PlannedPackage } from './install-plan.js';

const MAX_REDIRECTS = 3;
const MAX_BYTES = 256 * 1024 * 1024;
const STRENGTH = ['sha512', 'sha384', 'sha256', 'sha1'] as const;

/**
 * Why `url` may not be fetched: not on the registry's origin (a lockfile may name any host, and
 * none but the registry is asked), not https (or http to loopback), or a link-local or metadata host.
 */
function urlProblem(url: URL, registry: URL): string | undefined {
  if (url.origin !== registry.origin) return `it is not on the registry ${registry.origin}, the only origin dependencies are fetched from (the \`npmRegistry\` option)`;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.host))) return `${url.protocol}// is not allowed (https only, or http to this machine)`;
  if (url.username || url.password) return 'credentials in the URL are not sent';
  return forbiddenHostReason(url.host);
}

/** Whether `bytes` match the strongest hash of an SRI string (`sha512-… sha1-…`). */
function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean | undefined {
  const hashes = integrity
    .trim()
    .split(/\s+/)
    .map((token) => /^([a-z0-9]+)-([A-Za-z0-9+/=]+)(\?.*)?$/.exec(token))
    .filter((match) => match !== null);
  const algorithm = STRENGTH.find((name) => hashes.some((match) => match[1] === name));
  if (!algorithm) return undefined;
  const digest = process.getBuiltinModule('node:crypto').createHash(algorithm).update(bytes).digest('base64');
  return hashes.some((match) => match[1] === algorithm && match[2] === digest);
}

/**
 * Fetches one package's tarball from the registry (following at most three redirects, each checked
 * like the first URL: on the registry's origin) and checks it against the lockfile's integrity.
 * `undefined` for an optional package that could not be fetched. Typed errors name the package;
 * URLs are shown without credentials.
 */
export async function fetchTarball(item: PlannedPackage, registry: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
  let bytes: Uint8Array;
  try {
    const url = item.resolved ?? `${registry.replace(/\/?$/, '/')}${item.name}/-/${item.name.split('/').pop()}-${item.version}.tgz`;
    bytes = await get(new URL(url), new URL(registry), signal, 0, item.name);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    if (item.optional) return undefined;
    throw error;
  }
  const ok = matchesIntegrity(bytes, item.integrity);
  if (ok === undefined)
    throw mcError(
      'INSTALL_FAILED',
      `install: ${item.name}: the lockfile's integrity "${item.integrity.slice(0, 20)}…" uses no supported hash (sha512, sha384, sha256, sha1); regenerate package-lock.json`,
    );
  if (!ok) {
    throw mcError(
      'INSTALL_FAILED',
      `install: ${item.name}: the tarball does not match the lockfile's integrity (${item.integrity.slice(0, 24)}…); the registry served other bytes than were locked: check the registry, or regenerate package-lock.json if the change is intended`,
      {
        details: { package: item.name, expected: item.integrity },
      },
    );
  }
  return bytes;
}

async function get(url: URL, registry: URL, signal: AbortSignal, redirects: number, name: string): Promise<Uint8Array> {
  const problem = urlProblem(url, registry);
  const shown = `${url.origin}${url.pathname}`;
  if (problem) throw mcError('INSTALL_FAILED', `install: ${name}: refusing to fetch ${shown}: ${problem}`, { details: { package: name } });
  const client = process.getBuiltinModule(url.protocol === 'https:' ? 'node:https' : 'node:http') as typeof import('node:https');
  return new Promise<Uint8Array>((resolve, reject) => {
    const request = client.get(url, { signal, headers: { accept: 'application/octet-stream', 'user-agent': 'MediaConduit' } }, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (redirects >= MAX_REDIRECTS) return reject(mcError('INSTALL_FAILED', `install: ${name}: more than ${MAX_REDIRECTS} redirects from ${shown}`));
        return resolve(get(new URL(response.headers.location, url), registry, signal, redirects + 1, name));
      }
      if (status !== 200) {
        response.resume();
        return reject(
          mcError('INSTALL_FAILED', `install: ${name}: ${shown} answered ${status}; check that the registry still has this version`, {
            retryable: status >= 500 || status === 429,
            status,
          }),
        );
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) response.destroy(mcError('INSTALL_FAILED', `install: ${name}: the tarball is larger than ${MAX_BYTES / 1024 / 1024} MB`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve(Buffer.concat(chunks)));
      response.on('error', reject);
    });
    request.on('error', (error) =>
      reject(
        MediaConduitError.isInstance(error) ? error : mcError('INSTALL_FAILED', `install: ${name}: fetching ${shown} failed: ${error.message}`, { cause: error, retryable: true }),
      ),
    );
  });
}
