import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { type FileStorageV1, MediaConduitError, type StoredFileV1 } from '@mediaconduit/provider';
import { type FalClient, MAX_UPLOAD_BYTES } from './fal-client.js';

const LABEL = 'fal storage';

/** MIME types by extension, for the files people hand a storage: weights, pictures, sound, archives. */
const TYPES: Readonly<Record<string, string>> = {
  '.safetensors': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.zip': 'application/zip',
  '.json': 'application/json',
  '.txt': 'text/plain',
};

/**
 * fal's storage as the contract's {@link FileStorageV1}: one file (a path or bytes) uploaded the
 * way fal's client does it, to a public URL that fal's and other services' servers can fetch.
 */
export function falStorage(client: FalClient): FileStorageV1 {
  return {
    async upload(file, options = {}) {
      if (typeof file !== 'string' && !(file instanceof Uint8Array)) throw invalid(`upload takes a file's path or its bytes (a Uint8Array), got ${describe(file)}`);
      const fileName = options.fileName ?? (typeof file === 'string' ? basename(file) : 'file.bin');
      if (typeof fileName !== 'string' || fileName === '' || /[/\\\0]/.test(fileName) || fileName.length > 255)
        throw invalid(`fileName must be a file name (no folders, at most 255 characters), got ${JSON.stringify(fileName)}`);
      const contentType = options.contentType ?? TYPES[extname(fileName).toLowerCase()] ?? 'application/octet-stream';
      if (typeof contentType !== 'string' || !/^[\w.+-]+\/[\w.+-]+$/.test(contentType))
        throw invalid(`contentType must be a MIME type such as application/octet-stream, got ${JSON.stringify(contentType)}`);
      // No key: nothing is read or sent.
      client.requireKey();
      if (typeof file !== 'string' && file.byteLength > MAX_UPLOAD_BYTES) throw tooBig('the bytes', file.byteLength);
      const bytes = typeof file === 'string' ? await readUpload(file) : file;
      const url = await client.upload(bytes, { name: fileName, contentType }, LABEL, options.signal);
      return { url, fileName, bytes: bytes.byteLength, contentType } satisfies StoredFileV1;
    },
  };
}

/**
 * A regular file's bytes, its type and size checked on the open file before it is read: not a
 * folder, device or FIFO (opened without waiting for a writer), and not over one upload.
 */
async function readUpload(path: string): Promise<Uint8Array> {
  if (path === '') throw invalid('the path is empty: give the file to upload');
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw invalid(`${path} is not a regular file (${info.isDirectory() ? 'a folder' : 'a special file'}); give one file to upload`);
    if (info.size > MAX_UPLOAD_BYTES) throw tooBig(path, info.size);
    // Read to its end, never past the cap: a file's size may say less than it holds (/proc's say 0).
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(info.size - total, 1 << 16), MAX_UPLOAD_BYTES + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, null);
      if (bytesRead === 0) break;
      parts.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_UPLOAD_BYTES) throw tooBig(path, total);
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
  } catch (error) {
    throw MediaConduitError.isInstance(error) ? error : fileError(path, error as NodeJS.ErrnoException);
  } finally {
    await handle.close().catch(() => {});
  }
}

function fileError(path: string, error: NodeJS.ErrnoException): MediaConduitError {
  const why =
    error.code === 'ENOENT'
      ? 'no such file'
      : error.code === 'EACCES' || error.code === 'EPERM'
        ? 'this user may not read it'
        : `it cannot be read (${error.code ?? error.message})`;
  return invalid(`${path}: ${why}; nothing was uploaded`);
}

function tooBig(what: string, bytes: number): MediaConduitError {
  return invalid(
    `${what} is ${(bytes / 2 ** 20).toFixed(1)} MiB, over the ${MAX_UPLOAD_BYTES / 2 ** 20} MiB of one upload to fal's storage (this provider makes no multipart uploads); nothing was uploaded`,
  );
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function invalid(message: string): MediaConduitError {
  return new MediaConduitError({ code: 'INVALID_INPUT', message: `${LABEL}: ${message}` });
}
