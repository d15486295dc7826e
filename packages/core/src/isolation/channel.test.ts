import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Channel, ChannelError, encodeFrame, FrameReader, MAX_BLOB_BYTES } from './channel.js';

/** Two connected in-memory sockets; every write is recorded as it is handed over. */
function socketPair(): { a: Duplex; b: Duplex; writesFromA: Buffer[] } {
  const writesFromA: Buffer[] = [];
  const a: Duplex = new Duplex({
    read() {},
    writev(chunks, callback) {
      const joined = Buffer.concat(chunks.map(({ chunk }) => chunk as Buffer));
      writesFromA.push(joined);
      b.push(joined);
      callback();
    },
    write(chunk: Buffer, _encoding, callback) {
      writesFromA.push(chunk);
      b.push(chunk);
      callback();
    },
  });
  const b: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      a.push(chunk);
      callback();
    },
  });
  return { a, b, writesFromA };
}

/** A frame with this JSON text, no blobs, and these flags. */
function frame(json: string, flags: number): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32LE(Buffer.byteLength(json), 0);
  header.writeUInt32LE(flags, 8);
  return Buffer.concat([header, Buffer.from(json)]);
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Every message a reader gets from `parts` (the bytes of frames), fed `step` bytes at a time. */
function readAll(parts: Uint8Array[], step: number): unknown[] {
  const got: unknown[] = [];
  const reader = new FrameReader((batch) => got.push(...batch));
  const bytes = Buffer.concat(parts);
  for (let at = 0; at < bytes.length; at += step) reader.push(bytes.subarray(at, at + step));
  return got;
}

describe('the channel to a provider process', () => {
  it('carries byte arrays, Dates, big integers and the numbers JSON lacks, whatever the chunks it arrives in', () => {
    const image = new Uint8Array(70_000).map((_, i) => i % 251);
    const message = {
      t: 'result',
      bytes: image,
      view: new Uint16Array([1, 2, 3]),
      buffer: new Uint8Array([9, 8, 7]).buffer,
      empty: new Uint8Array(0),
      when: new Date(1_700_000_000_000),
      big: 12345678901234567890n,
      odd: [Number.NaN, Number.POSITIVE_INFINITY, -Infinity, undefined, 1.5],
      pattern: /a+b/gi,
      nested: { text: 'héllo', ok: true, none: null },
      // A key like the channel's own marker, in ordinary data, is left alone.
      lookalike: { '\u0000': ['d', 1], other: 1 },
      alike: { '\u0000': ['b', 0] },
    };
    for (const step of [1, 7, 4096, 1 << 20]) {
      const [got] = readAll(encodeFrame([message]), step) as [typeof message & { view: Uint8Array; buffer: ArrayBuffer }];
      expect(Buffer.from(got.bytes).equals(Buffer.from(image)), `chunks of ${step}`).toBe(true);
      expect([...got.view]).toEqual([1, 0, 2, 0, 3, 0]);
      expect([...new Uint8Array(got.buffer)]).toEqual([9, 8, 7]);
      expect(got.empty.byteLength).toBe(0);
      expect(got.when).toEqual(new Date(1_700_000_000_000));
      expect(got.big).toBe(12345678901234567890n);
      expect(got.odd).toEqual([Number.NaN, Number.POSITIVE_INFINITY, -Infinity, undefined, 1.5]);
      expect(got.pattern).toEqual(/a+b/gi);
      expect(got.nested).toEqual({ text: 'héllo', ok: true, none: null });
      expect(got.lookalike).toEqual({ '\u0000': ['d', 1], other: 1 });
      expect(got.alike).toEqual({ '\u0000': ['b', 0] });
    }
  });

  it('sends the bytes of a byte array as they are, not copied into the JSON', () => {
    const image = Buffer.alloc(100_000, 7);
    const parts = encodeFrame([{ t: 'x', bytes: image }]);
    expect(parts.at(-1)!.buffer).toBe(image.buffer);
    expect(Buffer.concat(parts.slice(0, -1)).length).toBeLessThan(200);
  });

  it('splits a batch whose byte arrays pass what one frame holds into several frames, and refuses only a message that alone is too big', () => {
    const limits = { jsonChars: 10_000, blobBytes: 100, blobs: 8 };
    const batch = [
      { n: 1, bytes: Buffer.alloc(60, 1) },
      { n: 2, bytes: Buffer.alloc(60, 2) },
      { n: 3, bytes: Buffer.alloc(101, 3) },
      { n: 4, bytes: Buffer.alloc(30, 4), more: Buffer.alloc(10, 4) },
    ];
    const refused: unknown[] = [];
    const parts = encodeFrame(batch, (message) => refused.push(message), limits);
    expect(refused).toEqual([batch[2]]);
    const got = readAll(parts, 17) as { n: number; bytes: Uint8Array; more?: Uint8Array }[];
    expect(got.map((m) => [m.n, m.bytes.byteLength, m.bytes[0]])).toEqual([
      [1, 60, 1],
      [2, 60, 2],
      [4, 30, 4],
    ]);
    expect(got[2]!.more?.byteLength).toBe(10);
    // Two frames (1 and 2 fill the first; 4 starts the next), each delivered as a batch of its own.
    const batches: unknown[][] = [];
    new FrameReader((received) => batches.push(received)).push(Buffer.concat(parts));
    expect(batches.map((received) => received.map((m) => (m as { n: number }).n))).toEqual([[1], [2, 4]]);
  });

  it('sends what one turn of the event loop posts in at most two writes, and runs afterFlush after them', async () => {
    const { a, b, writesFromA } = socketPair();
    const received: unknown[] = [];
    new Channel(
      b,
      (message) => received.push(message),
      () => {},
    );
    const sender = new Channel(
      a,
      () => {},
      () => {},
    );
    for (let n = 1; n <= 10; n++) sender.send({ n });
    const flushed = new Promise<number>((resolve) => sender.afterFlush(() => resolve(writesFromA.length)));
    expect(writesFromA).toEqual([]);
    expect(await flushed).toBeLessThanOrEqual(2);
    await turn();
    expect(received).toEqual(Array.from({ length: 10 }, (_, i) => ({ n: i + 1 })));
  });

  it('refuses a malformed frame with a typed error, and closes the socket', async () => {
    const cases: [string, Buffer][] = [
      ['out of bounds', Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0])],
      ['does not parse', frame('{{{', 0)],
      ['not a batch', frame('{}', 0)],
      [
        'over',
        (() => {
          const header = Buffer.alloc(16);
          header.writeUInt32LE(2, 0);
          header.writeUInt32LE(1, 4);
          header.writeUInt32LE(MAX_BLOB_BYTES + 1, 12);
          return header;
        })(),
      ],
      ['does not carry', frame('[{"\\u0000":["b",5]}]', 1)],
      // Parsing a decimal integer takes time that grows faster than its length: a long one would hold the host's thread.
      ['more than 4096 digits', frame(`[{"\\u0000":["n","${'9'.repeat(5000)}"]}]`, 1)],
      ['a regular expression of more than', frame(`[{"\\u0000":["r",["${'a'.repeat(70_000)}",""]]}]`, 1)],
      [
        // Two byte arrays, each under the limit, announced before any of their bytes: refused on the header alone.
        'in all',
        (() => {
          const header = Buffer.alloc(20);
          header.writeUInt32LE(2, 0);
          header.writeUInt32LE(2, 4);
          header.writeUInt32LE(MAX_BLOB_BYTES, 12);
          header.writeUInt32LE(1, 16);
          return header;
        })(),
      ],
    ];
    for (const [what, bytes] of cases) {
      const { a, b } = socketPair();
      const errors: unknown[] = [];
      new Channel(
        b,
        () => {},
        (error) => errors.push(error),
      );
      a.write(bytes);
      await turn();
      expect(errors, what).toHaveLength(1);
      expect(errors[0], what).toBeInstanceOf(ChannelError);
      expect((errors[0] as Error).message, what).toContain(what);
      expect(b.destroyed, what).toBe(true);
    }
  });
});
