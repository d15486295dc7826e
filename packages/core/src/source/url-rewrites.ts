import { mcError } from '../util/errors.js';

/** URL prefix rewrites, like git's `url.<base>.insteadOf`: `{ 'https://github.com/': 'http://mirror.local/' }`. */
export type UrlRewrites = Readonly<Record<string, string>>;

/**
 * Reads rewrites from a string such as `MEDIACONDUIT_GIT_REWRITES`:
 * `from=to` pairs separated by commas or whitespace, e.g. `https://github.com/=http://127.0.0.1:9418/`.
 */
export function parseUrlRewrites(text: string | undefined): Record<string, string> {
  const rewrites: Record<string, string> = {};
  if (!text) return rewrites;
  for (const pair of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const from = pair.slice(0, eq),
      to = pair.slice(eq + 1);
    if (eq <= 0 || !/^[a-z][a-z0-9+.-]*:/i.test(from) || !/^[a-z][a-z0-9+.-]*:/i.test(to)) {
      throw mcError('INVALID_OPTIONS', `URL rewrite "${pair}" is invalid: expected "from=to" with two URLs, e.g. "https://github.com/=http://127.0.0.1:9418/"`);
    }
    rewrites[from] = to;
  }
  return rewrites;
}

/** Applies the longest matching prefix rewrite to `url`; returns `url` unchanged when none matches. */
export function applyUrlRewrites(url: string, rewrites: UrlRewrites): string {
  let best = '';
  for (const from of Object.keys(rewrites)) if (url.startsWith(from) && from.length > best.length) best = from;
  return best ? `${rewrites[best]}${url.slice(best.length)}` : url;
}
