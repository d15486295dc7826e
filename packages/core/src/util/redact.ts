/** `Bearer …` values, removed from every text whatever the known secrets. */
const BEARER = /Bearer\s+[^\s"',}]+/gi;

/**
 * Replaces every occurrence of each secret (and its Basic-auth/base64 forms) in `text` with `***`;
 * `bearer` also every `Bearer …` value, known or not.
 */
export function redact(text: string, secrets: Iterable<string | undefined>, options: { bearer?: boolean } = {}): string {
  let out = options.bearer ? text.replace(BEARER, 'Bearer ***') : text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    // Longest first: the Basic-auth form can contain the shorter ones.
    const forms = [secret, Buffer.from(secret).toString('base64'), Buffer.from(`x-access-token:${secret}`).toString('base64')].sort((a, b) => b.length - a.length);
    for (const form of forms) {
      out = out.split(form).join('***');
    }
  }
  return out;
}

/** A module imported from its verified bytes, as a stack frame may name it (the whole bundle, base64). */
const DATA_MODULE = /data:text\/javascript;base64,([A-Za-z0-9+/=]{64,})/g;

/**
 * `text` with every `data:` URL of a module replaced by the file it was read from (its
 * `sourceURL`, at the end of its bytes): tools that format stacks themselves (source-map support,
 * test runners, error trackers) name a frame by that URL, which holds the whole bundle.
 */
export function collapseModuleUrls(text: string): string {
  if (!text.includes('data:text/javascript;base64,')) return text;
  return text.replace(DATA_MODULE, (_, base64: string) => {
    const tail = Buffer.from(base64.slice(Math.max(0, base64.length - 1200 - (base64.length % 4))), 'base64').toString('utf8');
    return /\/\/# sourceURL=(\S+)\s*$/.exec(tail)?.[1] ?? 'data:text/javascript;base64,…';
  });
}

/** How deep `details` (and values nested in it) are searched. */
const MAX_DEPTH = 8;

/**
 * Removes secrets from everything an error carries, in place: its message and stack, every string
 * in its `details` (which is replaced by a cleaned copy when anything in it changed), its `cause`
 * chain (each cause cleaned the same way) and the errors of an `AggregateError`. `clean` removes
 * the secrets from one text. Returns `error`. Errors seen before (cycles) are skipped.
 */
export function redactError<T>(error: T, clean: (text: string) => string, seen: Set<object> = new Set()): T {
  if (typeof error !== 'object' || error === null || seen.has(error)) return error;
  seen.add(error);
  const target = error as Record<string, unknown>;
  for (const field of ['message', 'stack'] as const) {
    const text = target[field];
    if (typeof text === 'string') replace(target, field, text, clean(collapseModuleUrls(text)));
  }
  const details = target.details;
  if (typeof details === 'object' && details !== null) replace(target, 'details', details, cleanValue(details, clean, 0, seen));
  const cause = target.cause;
  if (typeof cause === 'string') replace(target, 'cause', cause, clean(cause));
  else redactError(cause, clean, seen);
  if (Array.isArray(target.errors)) for (const inner of target.errors) redactError(inner, clean, seen);
  return error;
}

/** `value` with every string cleaned; the same object when nothing changed. Errors inside are cleaned in place. */
function cleanValue(value: unknown, clean: (text: string) => string, depth: number, seen: Set<object>): unknown {
  if (typeof value === 'string') return clean(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (value instanceof Error) return redactError(value, clean, seen);
  if (Array.isArray(value)) {
    const items = value.map((item) => cleanValue(item, clean, depth + 1, seen));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const cleaned = cleanValue(item, clean, depth + 1, seen);
    if (cleaned !== item) copy ??= { ...(value as Record<string, unknown>) };
    if (copy) copy[key] = cleaned;
  }
  return copy ?? value;
}

function replace(target: Record<string, unknown>, field: string, before: unknown, after: unknown): void {
  if (after === before) return;
  try {
    target[field] = after;
  } catch {
    // A frozen error or a getter without a setter: define the field on the object itself.
    try {
      Object.defineProperty(target, field, { value: after, writable: true, configurable: true });
    } catch {
      // Not configurable either: nothing more can be done for this field.
    }
  }
}
