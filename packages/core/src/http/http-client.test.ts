import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from './http-client.js';

interface Seen {
  url: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback server that answers every request with what it received. */
async function echoServer(): Promise<{ origin: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { url: request.url ?? '', method: request.method ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() };
      seen.push(entry);
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ url: entry.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

let api: Awaited<ReturnType<typeof echoServer>>;
let other: Awaited<ReturnType<typeof echoServer>>;
beforeAll(async () => {
  [api, other] = await Promise.all([echoServer(), echoServer()]);
});
afterAll(async () => {
  for (const { server } of [api, other]) await new Promise((resolve) => server.close(resolve));
});

const secretHeaders = { authorization: 'Bearer secret-key', 'x-team': 'ops' };

describe('createHttpClient', () => {
  it('joins paths and queries to the base URL, with the client headers and a JSON body', async () => {
    const client = createHttpClient({ baseURL: `${api.origin}/v1/`, headers: () => secretHeaders });
    const response = await client.request({ method: 'POST', path: '/chat', query: { limit: 2, after: undefined, q: 'a b' }, json: { hello: 'there' }, operation: 'test chat' });
    expect(response.status).toBe(200);
    expect(await response.body.json()).toEqual({ url: '/v1/chat?limit=2&q=a+b' });
    expect(api.seen.at(-1)).toMatchObject({
      method: 'POST',
      body: '{"hello":"there"}',
      headers: { authorization: 'Bearer secret-key', 'x-team': 'ops', 'content-type': 'application/json' },
    });
    await client.close();
  });

  it('sends its own headers (the API key) to the base origin only, never to another host', async () => {
    const client = createHttpClient({ baseURL: `${api.origin}/v1`, headers: secretHeaders });
    await (await client.request({ method: 'GET', path: `${api.origin}/files/a.png?sig=1`, operation: 'download' })).body.text();
    expect(api.seen.at(-1)).toMatchObject({ url: '/files/a.png?sig=1', headers: { authorization: 'Bearer secret-key' } });
    await (await client.request({ method: 'GET', path: `${other.origin}/files/b.png`, headers: { accept: 'image/*' }, operation: 'download' })).body.text();
    expect(other.seen.at(-1)?.url).toBe('/files/b.png');
    expect(other.seen.at(-1)?.headers).toMatchObject({ accept: 'image/*' });
    expect(other.seen.at(-1)?.headers).not.toHaveProperty('authorization');
    expect(other.seen.at(-1)?.headers).not.toHaveProperty('x-team');
    await client.close();
  });

  it('works with any dispatcher that has dispatch(), and leaves it open on close()', async () => {
    const agent = new Agent();
    let dispatched = 0;
    const dispatcher = {
      dispatch: (options: never, handler: never) => {
        dispatched++;
        return agent.dispatch(options, handler);
      },
    };
    const client = createHttpClient({ baseURL: api.origin, dispatcher });
    await (await client.request({ method: 'GET', path: '/ping', operation: 'ping' })).body.text();
    await client.close();
    await (await client.request({ method: 'GET', path: '/ping', operation: 'ping' })).body.text();
    expect(dispatched).toBe(2);
    await agent.close();
  });

  it('rejects a base URL that is not http(s) or carries credentials (without repeating it), and a path that is neither "/…" nor an http(s) URL', async () => {
    for (const baseURL of ['ftp://example.invalid/v1', 'not a url', '']) {
      expect(() => createHttpClient({ baseURL })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('expected an http(s) URL') }));
    }
    const withCredentials = () => createHttpClient({ baseURL: 'https://user:hunter22@api.example.invalid/v1' });
    expect(withCredentials).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS', message: expect.stringContaining('send them as headers') }));
    expect(withCredentials).toThrow(expect.not.objectContaining({ message: expect.stringContaining('hunter22') }));
    const client = createHttpClient({ baseURL: api.origin });
    for (const path of ['models', 'file:///etc/hosts?token=abc']) {
      const error = await client.request({ method: 'GET', path, operation: 'fetch thing' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('fetch thing: expected a path starting with "/"') });
      expect((error as Error).message).not.toContain('abc');
    }
    await client.close();
  });

  it('turns a refused connection into a retryable CONNECTION_FAILED', async () => {
    const closed = await echoServer();
    await new Promise((resolve) => closed.server.close(resolve));
    const client = createHttpClient({ baseURL: closed.origin });
    await expect(client.request({ method: 'GET', path: '/x', operation: 'probe' })).rejects.toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
      message: expect.stringContaining('probe: the connection failed'),
    });
    await client.close();
  });
});
