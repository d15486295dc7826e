import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mcError } from '../util/errors.js';

/**
 * Fails with `LIMIT_EXCEEDED` as soon as the files under `dir` (`.git` left out) outnumber
 * `maxFiles` or outweigh `maxBytes`, before anything reads or hashes them.
 */
export async function checkCheckoutSize(dir: string, limits: { maxBytes: number; maxFiles: number }, label: string): Promise<void> {
  let files = 0;
  let bytes = 0;
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (entry.name === '.git' && folder === dir) continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      files++;
      bytes += (await lstat(path)).size;
      if (files > limits.maxFiles) {
        throw mcError('LIMIT_EXCEEDED', `fetch ${label}: the checkout has more than ${limits.maxFiles} files (maxCheckoutFiles); raise the option if you trust this repository`, {
          details: { limit: 'maxCheckoutFiles', value: limits.maxFiles },
        });
      }
      if (bytes > limits.maxBytes) {
        throw mcError('LIMIT_EXCEEDED', `fetch ${label}: the checkout holds more than ${limits.maxBytes} bytes (maxCheckoutBytes); raise the option if you trust this repository`, {
          details: { limit: 'maxCheckoutBytes', value: limits.maxBytes },
        });
      }
    }
  };
  await walk(dir);
}
