import { zlib } from '../util/zlib.js';

/** Format and size read from an image's own bytes. */
export interface ImageInfo {
  mimeType: 'image/png' | 'image/jpeg' | 'image/webp' | 'image/gif';
  width: number;
  height: number;
}

/** Reads the format and dimensions from PNG, JPEG, WebP or GIF bytes; `undefined` if unrecognised. */
export function readImageInfo(bytes: Uint8Array): ImageInfo | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR') {
    return { mimeType: 'image/png', width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  }
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') {
    return { mimeType: 'image/gif', width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  }
  if (b.length >= 30 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    return readWebp(b);
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return readJpeg(b);
  return undefined;
}

function readWebp(b: Buffer): ImageInfo | undefined {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X') return { mimeType: 'image/webp', width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (chunk === 'VP8 ') return { mimeType: 'image/webp', width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { mimeType: 'image/webp', width: (bits & 0x3fff) + 1, height: ((bits >> 14) & 0x3fff) + 1 };
  }
  return undefined;
}

function readJpeg(b: Buffer): ImageInfo | undefined {
  let offset = 2;
  while (offset + 9 < b.length) {
    if (b[offset] !== 0xff) return undefined;
    const marker = b[offset + 1] ?? 0;
    if (marker === 0xff) {
      offset += 1;
      continue;
    }
    const length = b.readUInt16BE(offset + 2);
    // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { mimeType: 'image/jpeg', height: b.readUInt16BE(offset + 5), width: b.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return undefined;
}

/**
 * Why `bytes` is not a whole image, or `undefined` when it is one: a PNG whose every chunk passes
 * its checksum through IEND, a JPEG that ends with its end-of-image marker, a WebP as long as its
 * header says, a GIF that ends with its trailer, each with a non-zero size. A cut-off download is
 * caught here, before anyone is handed the image or billed for it.
 */
export function wholeImageProblem(bytes: Uint8Array): string | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const info = readImageInfo(b);
  if (!info) return `not a PNG, JPEG, WebP or GIF image (${b.length} bytes, first bytes ${b.subarray(0, 8).toString('hex') || 'none'})`;
  if (info.width === 0 || info.height === 0) return `corrupt image: ${info.width}×${info.height} pixels`;
  switch (info.mimeType) {
    case 'image/png':
      return pngProblem(b);
    case 'image/jpeg': {
      let end = b.length;
      while (end > 2 && b[end - 1] === 0) end--;
      return b[end - 2] === 0xff && b[end - 1] === 0xd9 ? undefined : 'corrupt image: the JPEG is truncated (no end-of-image marker)';
    }
    case 'image/webp':
      return b.readUInt32LE(4) + 8 > b.length ? `corrupt image: the WebP is truncated (${b.length} of ${b.readUInt32LE(4) + 8} bytes)` : undefined;
    case 'image/gif':
      return b[b.length - 1] === 0x3b ? undefined : 'corrupt image: the GIF is truncated (no trailer)';
  }
}

/** Walks a PNG's chunks: each CRC must match, and the file must end with IEND. */
function pngProblem(bytes: Buffer): string | undefined {
  let offset = 8;
  while (offset + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const raw = bytes.toString('latin1', offset + 4, offset + 8);
    const type = /^[A-Za-z]{4}$/.test(raw) ? raw : 'a damaged';
    if (offset + 12 + length > bytes.length) return `corrupt image: the PNG is truncated in its ${type} chunk`;
    const crc = bytes.readUInt32BE(offset + 8 + length);
    if (zlib().crc32(bytes.subarray(offset + 4, offset + 8 + length)) !== crc) return `corrupt image: the PNG's ${type} chunk at byte ${offset} fails its checksum`;
    if (type === 'IEND') return undefined;
    offset += 12 + length;
  }
  return 'corrupt image: the PNG is truncated (no IEND chunk)';
}
