import type { Capability } from '@mediaconduit/provider';
import { UsageError } from './errors.js';

/** How one `--opt` value is read. */
type Kind = 'number' | 'integer' | 'string' | 'stop' | 'json-object' | 'json-array' | 'retry' | readonly string[];

/** What `--opt` takes per capability: the call options of the provider contract, with their types. */
const CALL_OPTIONS: Record<Capability, Readonly<Record<string, Kind>>> = {
  'text-to-text': { temperature: 'number', topP: 'number', maxTokens: 'integer', stop: 'stop', seed: 'integer', responseFormat: 'json-object' },
  'text-to-image': {
    width: 'integer',
    height: 'integer',
    steps: 'integer',
    seed: 'integer',
    n: 'integer',
    negativePrompt: 'string',
    format: ['jpeg', 'png', 'webp'],
    adapters: 'json-array',
  },
  'text-to-audio': { voice: 'string', format: ['wav', 'mp3', 'raw'], sampleRate: 'integer', speed: 'number', language: 'string' },
  'audio-to-text': { language: 'string', prompt: 'string', temperature: 'number' },
  'text-to-embedding': { dimensions: 'integer' },
};

/** Options every call takes. */
const COMMON: Readonly<Record<string, Kind>> = { retry: 'retry' };

const camel = (key: string) => key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * `--opt key=value` pairs as the call options of a `capability` model, each read as its type in
 * the contract (`maxTokens=60` a whole number, `stop=["\n"]` a list, `format=png` one of the
 * formats). A key the capability does not know, or a value of the wrong type, is a usage error
 * naming the key and what it takes. `kebab-case` keys become `camelCase` (`max-tokens`).
 */
export function parseCallOptions(pairs: readonly string[], capability: Capability): Record<string, unknown> {
  const known = { ...CALL_OPTIONS[capability], ...COMMON };
  const options: Record<string, unknown> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--opt "${pair}" is not key=value (for example --opt seed=7)`, 'run');
    const key = camel(pair.slice(0, at));
    const raw = pair.slice(at + 1);
    const kind = Object.hasOwn(known, key) ? known[key] : undefined;
    if (kind === undefined) {
      const names = Object.keys(known);
      const near = names.find((name) => name.toLowerCase() === key.toLowerCase() || name.toLowerCase().startsWith(key.toLowerCase().slice(0, 4)));
      throw new UsageError(
        `--opt ${pair.slice(0, at)}: ${capability} models take no option "${key}"${near ? `; did you mean ${near}?` : ''} (they take ${names.join(', ')})`,
        'run',
      );
    }
    options[key] = readValue(key, raw, kind);
  }
  return options;
}

function readValue(key: string, raw: string, kind: Kind): unknown {
  const wrong = (what: string) => new UsageError(`--opt ${key}=${raw}: ${key} must be ${what}`, 'run');
  const json = () => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return undefined;
    }
  };
  if (Array.isArray(kind)) {
    if (!kind.includes(raw)) throw wrong(`one of ${kind.join(', ')}`);
    return raw;
  }
  switch (kind) {
    case 'number':
    case 'integer': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(n)) throw wrong(kind === 'integer' ? 'a whole number' : 'a number');
      if (kind === 'integer' && !Number.isInteger(n)) throw wrong('a whole number');
      return n;
    }
    case 'string':
      return raw;
    case 'stop': {
      // A JSON list of strings, or the text itself.
      const value = raw.startsWith('[') ? json() : raw;
      if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) return value;
      throw wrong('a text, or a JSON list of texts (--opt \'stop=["\\n\\n","END"]\')');
    }
    case 'json-object': {
      const value = json();
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wrong('a JSON object, for example \'{"type":"json_object"}\'');
      return value;
    }
    case 'json-array': {
      const value = json();
      if (!Array.isArray(value)) throw wrong('a JSON list, for example \'[{"path":"my-lora","scale":0.8}]\'');
      return value;
    }
    case 'retry': {
      if (raw === 'false') return false;
      const value = json();
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw wrong('false, or a JSON object such as \'{"maxRetries":0}\'');
      return value;
    }
  }
  throw wrong('readable');
}
