import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readImageResponse } from './read-image-response.js';

async function* chunks(text: string, size: number) {
  for (let i = 0; i < text.length; i += size) yield new TextEncoder().encode(text.slice(i, i + size));
}

describe('readImageResponse', () => {
  const a = randomBytes(1000),
    b = randomBytes(1001);
  const answer = {
    id: 'x-1',
    model: 'm',
    object: 'list',
    data: [
      { index: 0, type: 'b64_json', b64_json: a.toString('base64') },
      { index: 1, type: 'b64_json', b64_json: b.toString('base64'), timings: { inference: 1 } },
    ],
  };

  it.each([1, 2, 3, 7, 10, 64, 100_000])('decodes every image exactly with %i-byte chunks', async (size) => {
    const { json, images } = await readImageResponse(chunks(JSON.stringify(answer), size));
    expect(json).toEqual({
      ...answer,
      data: [
        { ...answer.data[0], b64_json: '@image:0' },
        { ...answer.data[1], b64_json: '@image:1' },
      ],
    });
    expect(Buffer.from(images[0]!).equals(a)).toBe(true);
    expect(Buffer.from(images[1]!).equals(b)).toBe(true);
  });

  it('reads escaped slashes and URL answers', async () => {
    const escaped = JSON.stringify(answer).replace(/\//g, '\\/');
    expect(Buffer.from((await readImageResponse(chunks(escaped, 5))).images[0]!).equals(a)).toBe(true);
    const byUrl = { id: 'y', data: [{ index: 0, type: 'url', url: 'https://example.test/a.jpg' }] };
    expect(await readImageResponse(chunks(JSON.stringify(byUrl), 4))).toEqual({ json: byUrl, images: [] });
  });
});
