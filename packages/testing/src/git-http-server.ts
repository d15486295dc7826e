import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** One request the server answered. */
export interface GitRequestLog {
  method: string;
  path: string;
  status: number;
  /** The Authorization header as received (for leak checks in tests). */
  authorization?: string;
  /** Git service (`git-upload-pack`), when the request named one. */
  service?: string;
  /** Protocol v2 command of an upload-pack POST: `ls-refs` (listing refs) or `fetch` (sending a pack). */
  command?: string;
}

/** A real Git smart-HTTP server on 127.0.0.1, backed by `git http-backend`. */
export interface GitHttpServer {
  /** Base URL, e.g. `http://127.0.0.1:41234/`. Repositories are at `<base><owner>/<repo>.git`. */
  baseUrl: string;
  /** Every request so far. */
  requests: GitRequestLog[];
  /** Number of pack fetches (clones and fetches, not ref listings) of a repository path. */
  fetchCount(pathPart?: string): number;
  /** Number of ref listings (`ls-remote`, and the listing a clone does first) of a repository path. */
  listCount(pathPart?: string): number;
  close(): Promise<void>;
}

/**
 * Serves the bare repositories under `root` over HTTP. Paths listed in `privatePaths` need
 * Basic auth whose password equals `token` (any user name), like GitHub's token auth.
 */
export async function startGitHttpServer(root: string, options: { token?: string; privatePaths?: readonly string[] } = {}): Promise<GitHttpServer> {
  const requests: GitRequestLog[] = [];
  const server: Server = createServer((req, res) => handle(root, options, req, res, requests));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/`,
    requests,
    fetchCount: (pathPart = '') => requests.filter((r) => r.command === 'fetch' && r.path.includes(pathPart) && r.status === 200).length,
    listCount: (pathPart = '') => requests.filter((r) => r.command === 'ls-refs' && r.path.includes(pathPart) && r.status === 200).length,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(root: string, options: { token?: string; privatePaths?: readonly string[] }, req: IncomingMessage, res: ServerResponse, log: GitRequestLog[]): void {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const service = url.searchParams.get('service') ?? /\/(git-upload-pack|git-receive-pack)$/.exec(url.pathname)?.[1];
  const entry: GitRequestLog = {
    method: req.method ?? 'GET',
    path: url.pathname,
    status: 200,
    ...(service ? { service } : {}),
    ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
  };
  log.push(entry);
  if (service === 'git-receive-pack' || url.pathname.includes('..')) {
    entry.status = 403;
    res.writeHead(403).end('forbidden');
    return;
  }
  if (options.privatePaths?.some((p) => url.pathname.startsWith(p))) {
    const [, encoded = ''] = /^Basic (.+)$/.exec(req.headers.authorization ?? '') ?? [];
    const password = Buffer.from(encoded, 'base64').toString().split(':').slice(1).join(':');
    if (!options.token || password !== options.token) {
      entry.status = 401;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end('authentication required');
      return;
    }
  }
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    },
  });
  const body: Buffer[] = [];
  req.on('data', (chunk: Buffer) => body.push(chunk));
  req.on('end', () => {
    if (service !== 'git-upload-pack' || req.method !== 'POST') return;
    let raw = Buffer.concat(body);
    try {
      if (/gzip/.test(req.headers['content-encoding'] ?? '')) raw = gunzipSync(raw);
    } catch {
      /* leave the command unknown */
    }
    const command = /command=([a-z-]+)/.exec(raw.toString('latin1'))?.[1];
    if (command) entry.command = command;
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) return;
    headersDone = true;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString().split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim(),
        value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    entry.status = status;
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  child.stdout.on('end', () => res.end());
  child.on('error', () => {
    entry.status = 500;
    res.writeHead(500).end();
  });
}
