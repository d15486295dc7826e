import { randomBytes } from 'node:crypto';
import { encodePng, encodeWav } from '@mediaconduit/provider';
import { encodeBlockJpeg } from '@mediaconduit/testing';

/** A stable 32-bit hash of text. */
export function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function palette(prompt: string, seed: number): { from: number[]; to: number[] } {
  const h = hash(`${prompt}#${seed}`);
  return { from: [h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff], to: [(h >> 24) & 0xff, (h >> 4) & 0xff, (h >> 12) & 0xff] };
}

/** A real JPEG (default) or PNG of a gradient derived from prompt and seed; `noise` PNGs do not compress. */
export function fakeImage(prompt: string, seed: number, width: number, height: number, format: 'jpeg' | 'png', detail: 'gradient' | 'noise' = 'gradient'): Uint8Array {
  if (detail === 'noise' && format === 'png') return encodePng(width, height, randomBytes(width * height * 3));
  const { from, to } = palette(prompt, seed);
  const mix = (t: number) => [0, 1, 2].map((c) => Math.round(from[c]! + (to[c]! - from[c]!) * t)) as [number, number, number];
  if (format === 'jpeg') return encodeBlockJpeg(width, height, (bx, by) => mix(((bx * 8) / width + (by * 8) / height) / 2));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(mix((x / width + y / height) / 2), (y * width + x) * 3);
  return encodePng(width, height, rgb);
}

/**
 * Speech from the fake: a WAV whose `LIST/INFO/ICMT` chunk carries the spoken text, so the
 * fake's transcription endpoint can "hear" its own speech. Duration: 50 ms per character.
 */
export function fakeWav(text: string, sampleRate: number): Uint8Array {
  const samples = new Float32Array(Math.max(1, Math.round(text.length * 0.05 * sampleRate)));
  for (let i = 0; i < samples.length; i++) samples[i] = 0.3 * Math.sin((2 * Math.PI * (200 + (text.charCodeAt(Math.floor(i / (0.05 * sampleRate))) % 50) * 10) * i) / sampleRate);
  const comment = Buffer.from(`${text}\0`, 'utf8');
  const info = Buffer.concat([Buffer.from('INFOICMT', 'latin1'), Buffer.from(Uint32Array.of(comment.length).buffer), comment, Buffer.alloc(comment.length % 2)]);
  return encodeWav(samples, sampleRate, [{ id: 'LIST', data: info }]);
}

/** The text a fake WAV carries, if it is one. */
export function textOfFakeWav(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = b.indexOf('ICMT', 0, 'latin1');
  if (at === -1) return undefined;
  const length = b.readUInt32LE(at + 4);
  return b.toString('utf8', at + 8, at + 8 + length).replace(/\0+$/, '');
}

/** Silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz): a valid MP3 of about `seconds`. */
export function fakeMp3(seconds: number): Uint8Array {
  const frameLength = 417; // 144 × 128000 / 44100
  const frames = Math.max(1, Math.round((seconds * 44_100) / 1152));
  const out = Buffer.alloc(frames * frameLength);
  for (let i = 0; i < frames; i++) out.set([0xff, 0xfb, 0x90, 0x64], i * frameLength);
  return out;
}

/** Headerless 16-bit little-endian PCM. */
export function fakeRawPcm(text: string, sampleRate: number): Uint8Array {
  const wav = fakeWav(text, sampleRate);
  return wav.subarray(wav.length - Math.round(text.length * 0.05 * sampleRate) * 2);
}

/** A deterministic unit vector for text. */
export function fakeEmbedding(text: string, dimensions: number): number[] {
  let state = hash(text) || 1;
  const vector = Array.from({ length: dimensions }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296) * 2 - 1;
  });
  const norm = Math.hypot(...vector);
  return vector.map((v) => v / norm);
}
