import * as contract from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { ChildHttp } from './child-http.js';
import { batchedSender, type ChildToHost } from './protocol.js';

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

describe('batchedSender', () => {
  it('writes what one turn of the event loop sends as one batch, and runs afterFlush after that write', async () => {
    const writes: unknown[] = [];
    const sender = batchedSender((batch) => writes.push(batch));
    sender.send({ n: 1 });
    sender.send({ n: 2 });
    const flushed = new Promise<number>((resolve) => sender.afterFlush(() => resolve(writes.length)));
    expect(writes).toEqual([]);
    expect(await flushed).toBe(1);
    expect(writes).toEqual([[{ n: 1 }, { n: 2 }]]);
    sender.send({ n: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual([[{ n: 1 }, { n: 2 }], [{ n: 3 }]]);
  });
});
