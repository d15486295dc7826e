import { crc32, inflateSync } from 'node:zlib';
import { encodeWav, readImageInfo, readWavInfo } from '@mediaconduit/provider';

/**
 * Decodes a PNG far enough to prove it is valid: signature, chunk CRCs, IHDR first, IEND last,
 * and IDAT data that inflates to exactly the size the header promises. Returns the problem, or
 * `undefined` when the file is valid.
 */
export function checkPng(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 8 || b.readUInt32BE(0) !== 0x89504e47 || b.readUInt32BE(4) !== 0x0d0a1a0a) return 'not a PNG: the 8-byte signature is missing';
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset + 12 <= b.length) {
    const length = b.readUInt32BE(offset);
    const type = b.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > b.length) return `chunk ${type} at byte ${offset} runs past the end of the file`;
    const crc = b.readUInt32BE(offset + 8 + length);
    if (crc32(b.subarray(offset + 4, offset + 8 + length)) !== crc) return `chunk ${type} at byte ${offset} has a wrong CRC`;
    const data = b.subarray(offset + 8, offset + 8 + length);
    if (!header && type !== 'IHDR') return 'the first chunk is not IHDR';
    if (type === 'IHDR') header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8]!, colour: data[9]!, interlace: data[12]! };
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!header) return 'no IHDR chunk';
  if (!ended) return 'no IEND chunk: the file is truncated';
  if (header.width === 0 || header.height === 0) return `IHDR declares an empty image (${header.width}×${header.height})`;
  if (idat.length === 0) return 'no IDAT chunk: the file holds no pixels';
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat));
  } catch (error) {
    return `IDAT data does not inflate: ${(error as Error).message}`;
  }
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[header.colour];
  if (!channels) return `unknown colour type ${header.colour}`;
  if (header.interlace === 0) {
    const expected = header.height * (1 + Math.ceil((header.width * channels * header.depth) / 8));
    if (raw.length !== expected) return `pixel data is ${raw.length} bytes but a ${header.width}×${header.height} image needs ${expected}`;
  }
  return undefined;
}

/** Checks JPEG markers (SOI, a frame header, EOI). */
export function checkJpeg(bytes: Uint8Array): string | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return 'not a JPEG: no SOI marker';
  if (bytes[bytes.length - 2] !== 0xff || bytes[bytes.length - 1] !== 0xd9) return 'JPEG has no EOI marker: the file is truncated';
  return readImageInfo(bytes) ? undefined : 'JPEG has no frame header with the image size';
}

/** Checks an encoded image by its own format. */
export function checkImageBytes(bytes: Uint8Array): string | undefined {
  const info = readImageInfo(bytes);
  if (!info) return 'not a PNG, JPEG, WebP or GIF image';
  if (info.mimeType === 'image/png') return checkPng(bytes);
  if (info.mimeType === 'image/jpeg') return checkJpeg(bytes);
  return undefined;
}

/** Checks a PCM WAV file: header, sample format, and non-empty data of whole frames. */
export function checkWav(bytes: Uint8Array): string | undefined {
  const info = readWavInfo(bytes);
  if (!info) return 'not a WAV file with fmt and data chunks';
  if (![8, 16, 24, 32].includes(info.bitsPerSample)) return `unusual sample size ${info.bitsPerSample} bits`;
  if (info.channels < 1 || info.sampleRate < 1000) return `implausible format: ${info.channels} channels at ${info.sampleRate} Hz`;
  if (info.dataLength === 0) return 'the data chunk is empty';
  if (info.dataLength % ((info.bitsPerSample / 8) * info.channels) !== 0) return 'the data chunk does not hold whole sample frames';
  return undefined;
}

/** Writes a one-second 440 Hz 16-bit mono WAV, as neutral input for transcription checks. */
export function sineWav(seconds = 1, sampleRate = 16_000): Uint8Array {
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) samples[i] = (12_000 / 32_767) * Math.sin((2 * Math.PI * 440 * i) / sampleRate);
  return encodeWav(samples, sampleRate);
}
