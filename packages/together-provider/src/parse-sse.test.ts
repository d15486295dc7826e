import { describe, expect, it } from 'vitest';
import { parseSse } from './parse-sse.js';

async function events(chunks: readonly (string | Uint8Array)[]): Promise<string[]> {
  const out: string[] = [];
  for await (const data of parseSse(
    (async function* () {
      yield* chunks;
    })(),
  ))
    out.push(data);
  return out;
}

/** Every way to cut `text` in two. */
const splits = (text: string) => Array.from({ length: text.length + 1 }, (_, i) => [text.slice(0, i), text.slice(i)]);

const CASES: { name: string; text: string; expected: string[] }[] = [
  { name: 'LF', text: 'data: a\n\ndata: b\n\n', expected: ['a', 'b'] },
  { name: 'CRLF', text: 'data: a\r\n\r\ndata: b\r\n\r\n', expected: ['a', 'b'] },
  { name: 'CR', text: 'data: a\r\rdata: b\r\r', expected: ['a', 'b'] },
  { name: 'CR then CRLF inside one event', text: 'data: a\r\ndata: b\r\n\r\n', expected: ['a\nb'] },
  { name: 'mixed endings', text: 'data: a\n\rdata: b\r\n\ndata: c\r\r', expected: ['a', 'b', 'c'] },
  { name: 'multi-line data', text: 'data: {"x":\ndata: 1}\n\n', expected: ['{"x":\n1}'] },
  { name: 'comments and other fields skipped', text: ': keep-alive\nevent: message\nid: 7\ndata:no-space\n\n', expected: ['no-space'] },
  { name: 'an event cut off by the end of the body is dropped', text: 'data: a\n\ndata: b', expected: ['a'] },
  { name: 'blank lines without data dispatch nothing', text: '\n\n\r\n\rdata: x\n\n', expected: ['x'] },
  { name: 'the [DONE] sentinel is plain data', text: 'data: {"a":1}\r\n\r\ndata: [DONE]\r\n\r\n', expected: ['{"a":1}', '[DONE]'] },
];

describe('parseSse', () => {
  for (const { name, text, expected } of CASES) {
    it(`${name}: whole, and split at every point`, async () => {
      expect(await events([text])).toEqual(expected);
      for (const [a, b] of splits(text)) expect(await events([a!, b!]), JSON.stringify([a, b])).toEqual(expected);
    });
  }

  it('one character at a time, and as bytes cut inside a multi-byte character', async () => {
    const text = 'data: é→😀\r\n\r\ndata: b\r\r';
    expect(await events([...text])).toEqual(['é→😀', 'b']);
    const bytes = new TextEncoder().encode(text);
    expect(await events(Array.from(bytes, (byte) => Uint8Array.of(byte)))).toEqual(['é→😀', 'b']);
  });

  it('a CR at the end of a chunk followed by LF is one line ending (the reported bug)', async () => {
    expect(await events(['data: a\r', '\ndata: b\r\n\r\n'])).toEqual(['a\nb']);
  });
});
