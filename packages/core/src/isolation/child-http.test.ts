import * as contract from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { ChildHttp } from './child-http.js';
import type { ChildToHost } from './protocol.js';

/** A ChildHttp whose messages to the host are kept, and one request it sent. */
async function requested(): Promise<{ http: ChildHttp; sent: ChildToHost[]; response: Promise<contract.HttpResponseV1> }> {
  const sent: ChildToHost[] = [];
  const http = new ChildHttp((message) => sent.push(message), contract);
  const client = http.factory({ baseURL: 'https://api.example.com/v1' });
  const response = client.request({ method: 'POST', path: '/chat', json: { q: 1 }, operation: 'chat' });
  // The request crosses once its form (if any) is read: after a turn of the microtask queue.
  await new Promise((resolve) => setImmediate(resolve));
  return { http, sent, response };
}

const reqId = (sent: ChildToHost[]) => (sent.find((m) => m.t === 'http') as Extract<ChildToHost, { t: 'http' }>).req;

describe('a whole response in a provider process', () => {
  it('reads its body through json(), text() or arrayBuffer(), once', async () => {
    const { http, sent, response } = await requested();
    expect(sent[0]).toMatchObject({ t: 'http', request: { method: 'POST', url: 'https://api.example.com/v1/chat', json: '{"q":1}' } });
    // A view into a larger buffer, as a deserialised message gives it: only its own bytes count.
    const backing = Buffer.from('xx{"answer":42}yy');
    http.whole(reqId(sent), 200, { 'content-type': 'application/json' }, new Uint8Array(backing.buffer, backing.byteOffset + 2, backing.length - 4));
    const { status, headers, body } = await response;
    expect(status).toBe(200);
    expect(headers['content-type']).toBe('application/json');
    expect(await body.json()).toEqual({ answer: 42 });
    // A body is read once: a second read finds nothing left.
    expect(await body.text()).toBe('');
  });

  it('streams the same bytes to a reader that iterates the body, and arrayBuffer() holds exactly them', async () => {
    const first = await requested();
    first.http.whole(reqId(first.sent), 200, {}, new TextEncoder().encode('streamed bytes'));
    const chunks: Buffer[] = [];
    for await (const chunk of (await first.response).body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString('utf8')).toBe('streamed bytes');

    const second = await requested();
    const backing = Buffer.from('..abc..');
    second.http.whole(reqId(second.sent), 201, {}, new Uint8Array(backing.buffer, backing.byteOffset + 2, 3));
    const buffer = await (await second.response).body.arrayBuffer();
    expect(buffer.byteLength).toBe(3);
    expect(Buffer.from(buffer).toString('utf8')).toBe('abc');
  });
});

describe('a streamed response in a provider process', () => {
  it("asks the host for a chunk per read, so the body comes at the provider's pace; a dropped body stops the request", async () => {
    const { http, sent, response } = await requested();
    const id = reqId(sent);
    http.head(id, 200, {});
    const { body } = await response;
    const credits = () => sent.filter((m) => m.t === 'http-credit').length;
    expect(credits()).toBe(0); // nothing is asked for before the provider reads
    const chunks: string[] = [];
    body.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
    await new Promise((resolve) => setImmediate(resolve));
    const asked = credits();
    expect(asked).toBeGreaterThan(0);
    for (const part of ['a', 'b', 'c']) http.data(id, new TextEncoder().encode(part));
    await new Promise((resolve) => setImmediate(resolve));
    expect(chunks.join('')).toBe('abc');
    expect(credits()).toBeGreaterThan(asked); // each chunk read asks for the next
    body.destroy();
    expect(sent.at(-1)).toEqual({ t: 'http-abort', req: id });

    // A body the host ended asks for nothing more, and does not abort.
    const second = await requested();
    const other = reqId(second.sent);
    second.http.head(other, 200, {});
    second.http.data(other, new TextEncoder().encode('whole'));
    second.http.end(other);
    expect(await (await second.response).body.text()).toBe('whole');
    const after = second.sent.length;
    (await second.response).body.destroy();
    expect(second.sent.slice(after).filter((m) => m.t === 'http-abort' || m.t === 'http-credit')).toEqual([]);
  });
});
