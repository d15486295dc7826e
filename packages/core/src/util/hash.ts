import { createHash } from 'node:crypto';

/** Hex SHA-256 of `data`. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A short, filesystem-safe name derived from `text` (never the raw text itself). */
export function hashName(text: string, length = 16): string {
  return sha256(text).slice(0, length);
}
