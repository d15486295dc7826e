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

  it('decodes into one buffer per image when the body’s length is known, and gives each image a buffer of its own size', async () => {
    const big = {
      ...answer,
      data: [
        { ...answer.data[0], b64_json: randomBytes(100_000).toString('base64') },
        { ...answer.data[1], b64_json: randomBytes(90_000).toString('base64') },
      ],
    };
    const text = JSON.stringify(big);
    const expected = big.data.map((d) => Buffer.from(d.b64_json, 'base64'));
    // The true length, one too few or far too few (a content-length that lies), and far too many.
    for (const bodyBytes of [text.length, text.length - 1, Math.floor(text.length / 2), 10, text.length * 50, 2 ** 52]) {
      for (const size of [3, 64, 65_536]) {
        const { json, images } = await readImageResponse(chunks(text, size), bodyBytes);
        expect(json.data!.map((d) => d.b64_json)).toEqual(['@image:0', '@image:1']);
        expect(images.map((image, i) => Buffer.from(image).equals(expected[i]!))).toEqual([true, true]);
        // No image keeps a buffer sized for the whole answer: at most 64 KiB more than its own bytes.
        for (const image of images) expect(image.buffer.byteLength - image.byteLength).toBeLessThanOrEqual(65_536);
      }
    }
  });

  it('keeps characters split across chunks whole, and takes chunks given as text', async () => {
    const named = { ...answer, model: 'modèle ✓ 画像' };
    const bytes = Buffer.from(JSON.stringify(named));
    async function* byteChunks(size: number) {
      for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
    }
    for (const size of [1, 2, 5]) {
      const { json, images } = await readImageResponse(byteChunks(size), bytes.length);
      expect((json as { model?: string }).model).toBe('modèle ✓ 画像');
      expect(Buffer.from(images[1]!).equals(b)).toBe(true);
    }
    async function* textChunks() {
      const text = JSON.stringify(named);
      for (let i = 0; i < text.length; i += 7) yield text.slice(i, i + 7);
    }
    expect(Buffer.from((await readImageResponse(textChunks())).images[0]!).equals(a)).toBe(true);
  });

  it('reads escaped slashes and URL answers', async () => {
    const escaped = JSON.stringify(answer).replace(/\//g, '\\/');
    expect(Buffer.from((await readImageResponse(chunks(escaped, 5))).images[0]!).equals(a)).toBe(true);
    const byUrl = { id: 'y', data: [{ index: 0, type: 'url', url: 'https://example.test/a.jpg' }] };
    expect(await readImageResponse(chunks(JSON.stringify(byUrl), 4))).toEqual({ json: byUrl, images: [] });
  });
});
