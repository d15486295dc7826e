import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { MediaConduitError } from '../errors/mediaconduit-error.js';
import { Audio, Embedding, Image, MediaAsset, readImageInfo, readWavInfo, Text } from './index.js';

const dir = await mkdtemp(join(tmpdir(), 'mc-assets-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
function wav(seconds: number, sampleRate = 8000): Buffer {
  const data = Buffer.alloc(Math.round(seconds * sampleRate) * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'latin1');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVE', 8, 'latin1');
  h.write('fmt ', 12, 'latin1');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'latin1');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}
const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffc0000b080030004001011100ffd9', 'hex');

describe('assets', () => {
  it('Image reads its real type and size from the bytes', () => {
    const image = new Image(png(64, 32), { provider: 'p', model: 'm', latencyMs: 5 });
    expect(image).toMatchObject({ kind: 'image', mimeType: 'image/png', width: 64, height: 32 });
    expect(image.metadata).toMatchObject({ provider: 'p', model: 'm', latencyMs: 5, createdAt: expect.any(String) });
    expect(readImageInfo(jpeg)).toEqual({ mimeType: 'image/jpeg', width: 64, height: 48 });
    expect(image.toDataURL().startsWith('data:image/png;base64,iVBORw0KGgo')).toBe(true);
  });

  it('Image refuses bytes that are not an image, with INVALID_INPUT', () => {
    expect(() => new Image(Buffer.from('not an image'))).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('Audio reads duration, sample rate and channels from a WAV header', () => {
    const audio = new Audio(wav(1.5, 16000), 'audio/wav');
    expect(audio).toMatchObject({ durationSeconds: 1.5, sampleRate: 16000, channels: 1 });
    expect(readWavInfo(Buffer.from('RIFFxxxxWAVE'))).toBeUndefined();
  });

  it('Text, Embedding: bytes, base64, similarity', () => {
    const text = new Text('héllo');
    expect(Buffer.from(text.toBytes()).toString()).toBe('héllo');
    expect(text.toBase64()).toBe(Buffer.from('héllo').toString('base64'));
    const e = new Embedding([0.6, 0.8]);
    expect(e.dimensions).toBe(2);
    expect(e.cosineSimilarity([0.6, 0.8])).toBeCloseTo(1);
    expect(JSON.parse(Buffer.from(e.toBytes()).toString())).toEqual([0.6, 0.8]);
    expect(() => e.cosineSimilarity([1])).toThrow(/dimensions differ/);
  });

  it('save() writes atomically into new folders and leaves no temporary file', async () => {
    const target = join(dir, 'nested/out/image.png');
    const bytes = png(2, 2);
    expect(await new Image(bytes).save(target)).toBe(target);
    expect(Buffer.compare(await readFile(target), bytes)).toBe(0);
    expect(await readdir(join(dir, 'nested/out'))).toEqual(['image.png']);
  });

  it('isInstance recognises assets and errors from other copies of core by their Symbol.for marker', () => {
    const foreignError = Object.assign(new Error('x'), { [Symbol.for('mediaconduit.error')]: true, code: 'TIMEOUT' });
    expect(MediaConduitError.isInstance(foreignError)).toBe(true);
    expect(MediaConduitError.hasCode(foreignError, 'TIMEOUT')).toBe(true);
    expect(MediaConduitError.isInstance(new Error('plain'))).toBe(false);
    expect(MediaAsset.isInstance(new Text('a'))).toBe(true);
    expect(MediaAsset.isInstance({ kind: 'text' })).toBe(false);
  });

  it('errors carry code, cause, retryable and typed fields, and serialise without the cause', () => {
    const cause = new Error('socket hang up');
    const error = new MediaConduitError({ code: 'RATE_LIMITED', message: 'slow down', cause, retryable: true, status: 429, requestId: 'req_1', retryAfterMs: 2000 });
    expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: true, status: 429, requestId: 'req_1', retryAfterMs: 2000, cause });
    expect(error.toJSON()).toEqual({ name: 'MediaConduitError', code: 'RATE_LIMITED', message: 'slow down', retryable: true, status: 429, requestId: 'req_1' });
  });
});
