// How values cross between the host and a provider's process. The channel (`channel.ts`) carries
// JSON, byte arrays as raw bytes beside it, and Dates, big integers and the numbers JSON lacks;
// what it cannot carry is encoded here: errors (rebuilt as MediaConduitError with their fields),
// media assets (rebuilt as the host's own classes), callbacks and abort signals (replaced by ids),
// and objects with methods (models, training jobs: replaced by remote references).
// Shared by both sides, so it imports the contract's types only: each side passes its own copy of
// the contract module.
import type * as Contract from '@mediaconduit/provider';

/** The contract module a side runs with. */
export type ContractModule = typeof Contract;

/** An error as it crosses. */
export interface WireError {
  $: 'error';
  name: string;
  message: string;
  stack?: string | undefined;
  /** Set for a MediaConduitError: its code and fields. */
  fields?: { code: Contract.ErrorCode; retryable: boolean; status?: number; providerCode?: string; requestId?: string; retryAfterMs?: number; details: unknown } | undefined;
  cause?: WireError | undefined;
}

/** A media asset as it crosses: its kind, bytes (or text, or values) and metadata. */
export interface WireAsset {
  $: 'asset';
  kind: Contract.AssetKind;
  mimeType: string;
  metadata: unknown;
  bytes?: Uint8Array;
  text?: string;
  values?: readonly number[];
  input?: string | undefined;
  facts?: { durationSeconds?: number; sampleRate?: number; channels?: number };
}

/** An object with methods, left where it lives: its id there, its data members and its method names. */
export interface WireRef {
  $: 'ref';
  id: number;
  props: Record<string, unknown>;
  methods: string[];
}

/** A callback left where it lives (`onProgress`, `onWarning`): calling it sends its arguments back. */
export interface WireFunction {
  $: 'fn';
  id: number;
}

/** An abort signal: its state now; an `abort` message follows when it aborts later. */
export interface WireSignal {
  $: 'signal';
  id: number;
  aborted: boolean;
  reason?: WireError | undefined;
}

/** What a side does with the values only it can hold. */
export interface Encoder {
  contract: ContractModule;
  /** An object with methods (absent: such an object is refused). */
  ref?(object: object): WireRef;
  /** A callback (absent: callbacks are dropped). */
  fn?(fn: (...args: unknown[]) => unknown): WireFunction;
  /** An abort signal (absent: signals are dropped). */
  signal?(signal: AbortSignal): WireSignal;
}

/** How a side rebuilds the values the other side encoded. */
export interface Decoder {
  contract: ContractModule;
  ref?(ref: WireRef): object;
  fn?(fn: WireFunction): (...args: unknown[]) => void;
  signal?(signal: WireSignal): AbortSignal;
}

/** Deepest nesting that crosses; deeper values are an error (a cycle, or a value no API returns). */
const MAX_DEPTH = 32;

const ASSET_MARKER = Symbol.for('mediaconduit.asset');

/** `value` in a form the IPC channel carries. */
export function encode(value: unknown, encoder: Encoder, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint') return value;
  if (type === 'function') return encoder.fn ? encoder.fn(value as (...args: unknown[]) => unknown) : undefined;
  if (type === 'symbol') return undefined;
  if (depth > MAX_DEPTH) throw new TypeError(`a value nested deeper than ${MAX_DEPTH} levels cannot cross to or from the provider's process`);
  const object = value as object;
  if (ArrayBuffer.isView(object)) {
    const view = object as ArrayBufferView;
    return view instanceof Uint8Array && view.constructor === Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  }
  if (object instanceof ArrayBuffer || object instanceof Date || object instanceof RegExp) return object;
  if (object instanceof Error) return encodeError(object, encoder.contract);
  if ((object as Record<symbol, unknown>)[ASSET_MARKER] === true) return encodeAsset(object as Contract.MediaAsset);
  if (typeof AbortSignal !== 'undefined' && object instanceof AbortSignal) return encoder.signal?.(object);
  if (Array.isArray(object)) return object.map((item) => encode(item, encoder, depth + 1));
  const proto = Object.getPrototypeOf(object);
  // A plain object with methods (a model written as an object literal) stays where it lives, like a class instance.
  const plain = (proto === Object.prototype || proto === null) && !(encoder.ref && Object.values(object).some((item) => typeof item === 'function'));
  if (plain) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(object)) {
      const encoded = encode(item, encoder, depth + 1);
      if (encoded !== undefined) out[key] = encoded;
    }
    return out;
  }
  if (encoder.ref) return encoder.ref(object);
  throw new TypeError(`a ${proto?.constructor?.name ?? 'class'} instance cannot cross to the provider's process; pass plain data`);
}

/** A value {@link encode}d on the other side, rebuilt with this side's classes. */
export function decode(value: unknown, decoder: Decoder, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) throw new TypeError(`a value nested deeper than ${MAX_DEPTH} levels cannot cross`);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
  if (Array.isArray(value)) return value.map((item) => decode(item, decoder, depth + 1));
  const tagged = value as { $?: unknown };
  switch (tagged.$) {
    case 'error':
      return decodeError(value as WireError, decoder.contract);
    case 'asset':
      return decodeAsset(value as WireAsset, decoder.contract);
    case 'ref':
      return decoder.ref ? decoder.ref(value as WireRef) : undefined;
    case 'fn':
      return decoder.fn ? decoder.fn(value as WireFunction) : undefined;
    case 'signal':
      return decoder.signal ? decoder.signal(value as WireSignal) : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const decoded = decode(item, decoder, depth + 1);
    // A "__proto__" key in the JSON is data: assigned, it would set the object's prototype instead.
    if (key === '__proto__') Object.defineProperty(out, key, { value: decoded, enumerable: true, writable: true, configurable: true });
    else out[key] = decoded;
  }
  return out;
}

export function encodeError(error: unknown, contract: ContractModule, depth = 0): WireError {
  if (!(error instanceof Error) && !contract.MediaConduitError.isInstance(error)) return { $: 'error', name: 'Error', message: String(error) };
  const e = error as Error & Partial<Contract.MediaConduitError>;
  const wire: WireError = { $: 'error', name: e.name, message: e.message, stack: e.stack };
  if (contract.MediaConduitError.isInstance(error)) {
    wire.fields = {
      code: error.code,
      retryable: error.retryable,
      ...(error.status === undefined ? {} : { status: error.status }),
      ...(error.providerCode === undefined ? {} : { providerCode: error.providerCode }),
      ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      details: plainData(error.details),
    };
  }
  if (e.cause !== undefined && depth < 8) wire.cause = encodeError(e.cause, contract, depth + 1);
  return wire;
}

export function decodeError(wire: WireError, contract: ContractModule): Error {
  const cause = wire.cause ? decodeError(wire.cause, contract) : undefined;
  let error: Error;
  if (wire.fields) {
    const { details, ...fields } = wire.fields;
    error = new contract.MediaConduitError({
      ...fields,
      message: wire.message,
      details: (details ?? {}) as Record<string, unknown>,
      ...(cause === undefined ? {} : { cause }),
    });
  } else {
    error = new Error(wire.message, cause === undefined ? undefined : { cause });
    error.name = wire.name;
  }
  if (wire.stack) error.stack = wire.stack;
  return error;
}

function encodeAsset(asset: Contract.MediaAsset): WireAsset {
  const base = { $: 'asset' as const, kind: asset.kind, mimeType: asset.mimeType, metadata: plainData(asset.metadata) };
  switch (asset.kind) {
    case 'text':
      return { ...base, text: (asset as Contract.Text).text };
    case 'embedding': {
      const embedding = asset as Contract.Embedding;
      return { ...base, values: [...embedding.values], input: embedding.input };
    }
    case 'audio': {
      const audio = asset as Contract.Audio;
      return {
        ...base,
        bytes: audio.toBytes(),
        facts: {
          ...(audio.durationSeconds === undefined ? {} : { durationSeconds: audio.durationSeconds }),
          ...(audio.sampleRate === undefined ? {} : { sampleRate: audio.sampleRate }),
          ...(audio.channels === undefined ? {} : { channels: audio.channels }),
        },
      };
    }
    default:
      return { ...base, bytes: asset.toBytes() };
  }
}

function decodeAsset(wire: WireAsset, contract: ContractModule): Contract.MediaAsset {
  const metadata = wire.metadata as Partial<Contract.AssetMetadata>;
  switch (wire.kind) {
    case 'text':
      return new contract.Text(wire.text ?? '', metadata, wire.mimeType);
    case 'embedding':
      return new contract.Embedding(wire.values ?? [], metadata, wire.input);
    case 'audio':
      return new contract.Audio(wire.bytes ?? new Uint8Array(), wire.mimeType, metadata, wire.facts ?? {});
    default:
      return new contract.Image(wire.bytes ?? new Uint8Array(), metadata);
  }
}

/** `value` as data that crosses (functions and class instances other than dates dropped). */
function plainData(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return typeof value === 'function' || typeof value === 'symbol' ? undefined : value;
  if (depth > MAX_DEPTH) return undefined;
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) return value.map((item) => plainData(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const data = plainData(item, depth + 1);
    if (data !== undefined) out[key] = data;
  }
  return out;
}
