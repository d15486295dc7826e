/** Hex SHA-256 of `data`. (crypto is loaded on first use, so that importing core stays cheap.) */
export function sha256(data: string | Uint8Array): string {
  return process.getBuiltinModule('node:crypto').createHash('sha256').update(data).digest('hex');
}

/** A short, filesystem-safe name derived from `text` (never the raw text itself). */
export function hashName(text: string, length = 16): string {
  return sha256(text).slice(0, length);
}
