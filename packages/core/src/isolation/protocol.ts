// The messages between the host and a provider's own process (over the framed channel of
// `channel.ts`). Values inside them are encoded by `wire.ts`.
import type { IsolatedVariables } from '../context/provider-context.js';
import type { ManifestEnvVar } from '../manifest/manifest.js';
import type { WireError, WireRef } from './wire.js';

/** What the child needs to start its provider. */
export interface InitMessage {
  t: 'init';
  /** The bundle's verified bytes: imported as they are, never read from disk. */
  bundle: Uint8Array;
  /** Shown in stack traces (the bundle's place in the host's cache). */
  bundleUrl: string;
  manifest: { id: string; name: string; version: string; env: ManifestEnvVar[]; capabilities: string[] };
  /** The provider's settings, without any secret. */
  config: Record<string, unknown>;
  variables: IsolatedVariables;
  /** The scratch folder it may write (its `context.dataDir`). */
  dataDir: string;
  label: string;
}

/** An HTTP request the child asks the host to make. */
export interface WireHttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Absolute URL, query included. */
  url: string;
  headers: Record<string, string>;
  /** A JSON body, already serialised. */
  json?: string;
  /** A multipart body's entries. */
  form?: ({ name: string; value: string } | { name: string; bytes: Uint8Array; type: string; filename: string })[];
  /** A raw body (an upload): its bytes cross as they are. */
  bytes?: Uint8Array;
  timeoutMs: number;
  operation: string;
}

export type HostToChild =
  | InitMessage
  /** Calls `method` of the object `ref` (0: the provider). */
  | { t: 'call'; id: number; ref: number; method: string; args: unknown[] }
  /** Calls a streaming method; items come back as `item` messages while the host grants credit. */
  | { t: 'stream'; id: number; ref: number; method: string; args: unknown[]; credit: number }
  | { t: 'credit'; id: number; n: number }
  /** The host stopped reading a stream. */
  | { t: 'stop'; id: number }
  | { t: 'abort'; signal: number; reason: WireError }
  | { t: 'http-head'; req: number; status: number; headers: Record<string, string | string[] | undefined> }
  /** A whole response in one message: status, headers and body (what is not a stream of events). */
  | { t: 'http-whole'; req: number; status: number; headers: Record<string, string | string[] | undefined>; bytes: Uint8Array }
  | { t: 'http-data'; req: number; bytes: Uint8Array }
  | { t: 'http-end'; req: number }
  | { t: 'http-fail'; req: number; error: WireError }
  | { t: 'ping'; n: number }
  | { t: 'close' };

export type ChildToHost =
  | { t: 'ready'; provider: WireRef; models: Record<string, unknown[]> }
  | { t: 'init-failed'; error: WireError; stage: 'import' | 'factory' | 'shape' | 'initialize' }
  | { t: 'result'; id: number; value: unknown; models?: Record<string, unknown[]> }
  | { t: 'error'; id: number; error: WireError }
  | { t: 'item'; id: number; value: unknown }
  | { t: 'end'; id: number }
  | { t: 'fn'; fn: number; args: unknown[] }
  | { t: 'http'; req: number; request: WireHttpRequest }
  | { t: 'http-abort'; req: number }
  /** The provider read its response body: the host may send `n` more chunks of it. */
  | { t: 'http-credit'; req: number; n: number }
  | { t: 'log'; level: 'debug' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> }
  | { t: 'pong'; n: number }
  | { t: 'closed' };
