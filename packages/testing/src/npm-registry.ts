import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as createTar, extract as extractTar } from 'tar';

/**
 * A package the stand-in serves: a packed tarball (`pnpm pack`, `npm pack`), a folder it packs
 * itself, or only the metadata of a package for another platform (an optional dependency such as
 * another platform's esbuild binary), which npm records in a lockfile but never installs here.
 */
export type NpmPackageSource = { tarball: string } | { folder: string } | { otherPlatform: { name: string; version: string } };

/** A loopback npm registry serving fixed tarballs. */
export interface NpmRegistry {
  /** The registry URL, for `npm --registry` or `npm_config_registry`. */
  url: string;
  /** `name@version` of every package served. */
  packages: string[];
  /** Paths requested so far, in order. */
  requests: string[];
  /** The `integrity` of a served `name@version` (its tarball as this stand-in serves it). */
  integrity(name: string, version: string): string | undefined;
  close(): Promise<void>;
}

interface Served {
  name: string;
  manifest: Record<string, unknown>;
  version: string;
  bytes: Buffer;
}

/** Never reports a file as seen, so hard-linked files are packed as files (npm skips link entries). */
class NoHardLinks extends Map<`${number}:${number}`, string> {
  override get(): undefined {
    return undefined;
  }
}

/**
 * Packs a package folder as npm does: every file under `package/`, gzipped. pnpm's store is full
 * of hard links: each is packed as a plain file, and synchronously (tar's asynchronous packer
 * stalls on that store).
 */
async function packFolder(folder: string): Promise<Buffer> {
  const files = (await readdir(folder)).filter((name) => name !== 'node_modules');
  const chunks: Buffer[] = [];
  const stream = createTar({ gzip: true, cwd: folder, prefix: 'package', portable: true, follow: true, sync: true, linkCache: new NoHardLinks() }, files);
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The package.json inside a tarball. */
async function manifestOf(tarball: string): Promise<Record<string, unknown>> {
  const scratch = await mkdtemp(join(tmpdir(), 'mc-npm-registry-'));
  try {
    await extractTar({ file: tarball, cwd: scratch, filter: (path) => path === 'package/package.json' });
    return JSON.parse(await readFile(join(scratch, 'package', 'package.json'), 'utf8')) as Record<string, unknown>;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function load(source: NpmPackageSource): Promise<Served> {
  if ('otherPlatform' in source) {
    const { name, version } = source.otherPlatform;
    return { name, version, manifest: { name, version, os: ['none'], cpu: ['none'] }, bytes: Buffer.alloc(0) };
  }
  const manifest = 'tarball' in source ? await manifestOf(source.tarball) : (JSON.parse(await readFile(join(source.folder, 'package.json'), 'utf8')) as Record<string, unknown>);
  const bytes = 'tarball' in source ? await readFile(source.tarball) : await packFolder(source.folder);
  return { name: String(manifest.name), version: String(manifest.version), manifest, bytes };
}

/**
 * Starts an npm registry on 127.0.0.1 that serves exactly the given packages, with real
 * `integrity` hashes, so that `npm install` runs against it with no other network. Anything it
 * does not hold is a 404, as the public registry answers for an unknown name.
 */
export async function startNpmRegistry(options: { packages: readonly NpmPackageSource[] }): Promise<NpmRegistry> {
  const served = await Promise.all(options.packages.map(load));
  const byName = new Map<string, Served[]>();
  for (const item of served) byName.set(item.name, [...(byName.get(item.name) ?? []), item]);
  const requests: string[] = [];
  let url = '';
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0]!);
    requests.push(path);
    // npm's own layout: /<name>/-/<name without scope>-<version>.tgz
    const tarball = /^\/((?:@[^/]+\/)?[^/]+)\/-\/[^/]+-(\d[^/]*)\.tgz$/.exec(path);
    if (tarball) {
      const item = byName.get(tarball[1]!)?.find((candidate) => candidate.version === tarball[2]);
      if (!item) return void response.writeHead(404).end();
      return void response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': item.bytes.length }).end(item.bytes);
    }
    const versions = byName.get(path.slice(1));
    if (!versions) return void response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    const latest = versions[versions.length - 1]!;
    const document = {
      name: latest.name,
      'dist-tags': { latest: latest.version },
      versions: Object.fromEntries(
        versions.map((item) => [
          item.version,
          {
            ...item.manifest,
            _id: `${item.name}@${item.version}`,
            dist: {
              tarball: `${url}/${item.name}/-/${item.name.split('/').pop()}-${item.version}.tgz`,
              integrity: `sha512-${createHash('sha512').update(item.bytes).digest('base64')}`,
              shasum: createHash('sha1').update(item.bytes).digest('hex'),
            },
          },
        ]),
      ),
    };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    packages: served.map((item) => `${item.name}@${item.version}`),
    integrity: (name, version) => {
      const item = byName.get(name)?.find((candidate) => candidate.version === version);
      return item ? `sha512-${createHash('sha512').update(item.bytes).digest('base64')}` : undefined;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Pins a provider's committed `package-lock.json` to what `registry` serves: a package the
 * stand-in packs from an installed folder is not the public registry's tarball, so each locked
 * package's `integrity` becomes the stand-in's (as an operator re-pins a provider to a private
 * registry). A locked package the stand-in does not serve is an error.
 */
export async function pinLockfileTo(lockfile: string, registry: NpmRegistry): Promise<void> {
  const lock = JSON.parse(await readFile(lockfile, 'utf8')) as { packages?: Record<string, { version?: string; integrity?: string }> };
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || !entry.version) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const integrity = registry.integrity(name, entry.version);
    if (!integrity) throw new Error(`pinLockfileTo: the stand-in registry does not serve ${name}@${entry.version}, which ${lockfile} locks`);
    entry.integrity = integrity;
  }
  await writeFile(lockfile, `${JSON.stringify(lock, null, 2)}\n`);
}
