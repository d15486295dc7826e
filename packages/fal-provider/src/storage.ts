import { open, stat } from 'node:fs/promises';
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
      const bytes = typeof file === 'string' ? await readUpload(file) : file;
      if (bytes.byteLength > MAX_UPLOAD_BYTES) throw tooBig(typeof file === 'string' ? file : 'the bytes', bytes.byteLength);
      const url = await client.upload(bytes, { name: fileName, contentType }, LABEL, options.signal);
      return { url, fileName, bytes: bytes.byteLength, contentType } satisfies StoredFileV1;
    },
  };
}

/** A regular file's bytes, its size checked before it is read (not a folder, device or FIFO). */
async function readUpload(path: string): Promise<Uint8Array> {
  if (path === '') throw invalid('the path is empty: give the file to upload');
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  if (!info.isFile()) throw invalid(`${path} is not a regular file (${info.isDirectory() ? 'a folder' : 'a special file'}); give one file to upload`);
  if (info.size > MAX_UPLOAD_BYTES) throw tooBig(path, info.size);
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw fileError(path, error);
  });
  try {
    const now = await handle.stat();
    // The file read is the file checked (not one swapped in between).
    if (!now.isFile() || now.ino !== info.ino || now.dev !== info.dev) throw invalid(`${path} changed while it was opened; try again`);
    if (now.size > MAX_UPLOAD_BYTES) throw tooBig(path, now.size);
    const bytes = new Uint8Array(now.size);
    let read = 0;
    while (read < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, read, bytes.byteLength - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return read === bytes.byteLength ? bytes : bytes.subarray(0, read);
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
        : error.code === 'EISDIR'
          ? 'it is a folder'
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
