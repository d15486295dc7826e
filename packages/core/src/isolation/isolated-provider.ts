import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { cp, mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import * as contract from '@mediaconduit/provider';
import type { Capability, HttpClientV1, LoggerV1, MediaProviderV1, ModelInfoV1 } from '@mediaconduit/provider';
import { isolatedVariables, hostValue, type ProviderVariables } from '../context/provider-context.js';
import { createHttpClient, type RawBodyRequest } from '../http/http-client.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { loadFailed } from '../pipeline/instantiate.js';
import { forbiddenHostReason } from '../source/parse-specifier.js';
import { mcError } from '../util/errors.js';
import { fileSystemError } from '../util/file-system-error.js';
import { addKeptSecrets, keptSecrets, secretConfigEntries, warnWithheld } from '../context/kept-secrets.js';
import { Channel } from './channel.js';
import { childArgs, type PrestartedProcess, spawnProviderProcess } from './process-start.js';
import type { ChildToHost, HostToChild, WireHttpRequest } from './protocol.js';
import { decode, type Decoder, decodeError, encode, type Encoder, encodeError, type WireRef } from './wire.js';

/** How providers in their own process run. */
export interface IsolationSettings {
  /** Heap cap of the child, in MB (`--max-old-space-size`). */
  memoryMb: number;
  /** How often the host checks that the child still answers; silent for three checks, it is ended as hung. */
  heartbeatMs: number;
  /** Wait before the first restart after a crash; doubles with each crash in a row, up to `restartMaxMs`. */
  restartBackoffMs: number;
  restartMaxMs: number;
}

/** What {@link instantiateIsolated} needs (the same as an in-process load, plus the isolation settings). */
export interface IsolatedOptions {
  bytes: Uint8Array;
  bundlePath: string;
  manifest: ProviderManifest;
  label: string;
  config: Readonly<Record<string, unknown>>;
  env: NodeJS.ProcessEnv;
  dispatcher: object | undefined;
  logger: LoggerV1;
  signal: AbortSignal;
  /** Longest time for the child to start, import, make and initialise the provider. */
  timeoutMs: number;
  /** The child's scratch folder (its `context.dataDir`): the only place it may write. */
  dataDir: string;
  secretOrigins: Readonly<Record<string, readonly string[]>>;
  settings: IsolationSettings;
  now: () => number;
  /** A process started while the host verified the bundle (see {@link prestartProviderProcess}); used when it matches. */
  prestarted?: PrestartedProcess | undefined;
}

/**
 * The provider, started in a child Node process of its own, as a {@link MediaProviderV1} whose
 * every member crosses its channel. The child runs under Node's permission model (reads: its entry and
 * dependencies; writes: `dataDir`; no processes, workers or addons), with an empty environment, a
 * heap cap, and none of the secrets: its requests come back to the host, which adds the secrets
 * the manifest lets it send to their origin. A crash, an exit, a heap overflow or a hang rejects
 * what was pending with `PROVIDER_CRASHED` (`TIMEOUT` for a hang); the next call starts the child
 * again, after a back-off that grows with each crash in a row.
 *
 * @throws what an in-process load throws (`PROVIDER_LOAD_FAILED`, `INCOMPATIBLE_PROVIDER`, `TIMEOUT`), and `INVALID_OPTIONS` for a secret in the config.
 */
export async function instantiateIsolated(options: IsolatedOptions): Promise<MediaProviderV1> {
  // `env` holds overrides of the host's variables: the host's to keep, never sent to the child.
  const secretConfig = [...secretConfigEntries(stripEnv(options.config))].map((entry) => entry.path);
  if (secretConfig.length > 0) {
    throw mcError(
      'INVALID_OPTIONS',
      `load ${options.label}: config ${secretConfig.map((k) => `"${k}"`).join(', ')} would hand a secret to a provider that runs in its own process; pass secrets as { config: { env: { NAME: … } } } for a variable the manifest declares as a secret (the host keeps it), or load the provider with isolation 'none'`,
    );
  }
  const host = new ChildHost(options);
  await host.start();
  return host.providerProxy();
}

/** How the host gets an object of the child back after a restart. */
type Recipe = { via: 'call'; method: string; args: unknown[] } | { via: 'prop'; name: string };

/** An object that lives in the child, as the host holds it. */
interface Remote {
  generation: number;
  id: number;
  recipe?: Recipe | undefined;
  /** The host-side stand-in, whose data members are refreshed after each call. */
  object?: Record<string, unknown> | undefined;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  cleanup: (() => void)[];
  /** A call the caller made (not the host finding an object again): its success ends a run of crashes. */
  counts: boolean;
}

interface StreamState {
  items: unknown[];
  waiting?: { resolve(result: IteratorResult<unknown>): void; reject(error: unknown): void } | undefined;
  done: boolean;
  error?: unknown;
  cleanup: (() => void)[];
}

/** Largest response (by its content-length) that crosses to the child in one message. */
const WHOLE_RESPONSE_MAX = 256 * 1024;

/** Items a stream may send ahead of its reader; more are granted as the reader takes them. */
const STREAM_WINDOW = 32;

/** Chunks of a response body sent ahead of the provider's reading (about 1 MB); then the host waits and undici stops reading. */
const BODY_WINDOW = 16;

/**
 * What a provider's process may have the host do for it at once: requests in flight, the bytes of
 * their bodies, and clients (one keep-alive pool per origin and time limit) kept open. Past the
 * first two a request fails with `LIMIT_EXCEEDED`; past the third the least recently used client is
 * closed (its requests in flight finish first). A provider cannot make the host hold memory or
 * sockets without end.
 */
const MAX_FORWARDED_REQUESTS = 256;
const MAX_FORWARDED_BODY_BYTES = 1 << 30;
const MAX_CLIENTS = 32;
/** The longest time limit a provider may ask the host to wait on one request: a day. */
const MAX_FORWARDED_TIMEOUT_MS = 24 * 60 * 60_000;

/** A request the host is making for the child: how to abort it, and the chunks it may still send. */
interface Forwarded {
  controller: AbortController;
  credit: number;
  /** The bytes of its body, counted against `MAX_FORWARDED_BODY_BYTES` while it is in flight. */
  bodyBytes: number;
  /** Wakes the sending loop (more credit, or an abort). */
  wake?: (() => void) | undefined;
}

/** The bytes a forwarded request's body holds (what the host keeps until it is sent). */
function bodyBytesOf(request: WireHttpRequest): number {
  let bytes = (request.bytes?.byteLength ?? 0) + (typeof request.json === 'string' ? request.json.length : 0);
  for (const entry of request.form ?? [])
    bytes += 'bytes' in entry && entry.bytes instanceof Uint8Array ? entry.bytes.byteLength : String((entry as { value?: unknown }).value ?? '').length;
  return bytes;
}

class ChildHost {
  private child: ChildProcess | undefined;
  private generation = 0;
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, StreamState>();
  private readonly callbacks = new Map<number, (...args: unknown[]) => unknown>();
  private readonly requests = new Map<number, Forwarded>();
  /** The bytes of the bodies of `requests`. */
  private forwardedBodyBytes = 0;
  private readonly clients = new Map<string, HttpClientV1>();
  private readonly kept;
  private readonly withheld;
  private readonly variables: ProviderVariables;
  private provider: { ref: WireRef; models: Record<string, unknown[]> } | undefined;
  private starting: Promise<void> | undefined;
  private crashes = 0;
  private restartAt = 0;
  /** The heartbeat found the child silent and killed it: its exit is a hang, not a crash. */
  private hung = false;
  private closed = false;
  private stderrTail = '';
  private lastPong = 0;
  private heartbeat: NodeJS.Timeout | undefined;

  private readonly encoder: Encoder;
  private readonly decoder: Decoder;

  constructor(private readonly options: IsolatedOptions) {
    this.variables = { declared: options.manifest.env, overrides: (options.config.env ?? {}) as Record<string, string | undefined>, environment: options.env };
    this.kept = keptSecrets(options.manifest.env, options.secretOrigins);
    this.withheld = warnWithheld((message) => options.logger.warn(`${options.label}: ${message}`));
    this.encoder = { contract, fn: (fn) => this.registerCallback(fn), signal: (signal) => this.registerSignal(signal) };
    this.decoder = { contract, ref: (ref) => this.remoteObject(ref, undefined) };
    options.signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Starts the child and waits until its provider is ready (within the load's time limit). */
  start(): Promise<void> {
    this.starting ??= this.spawnChild().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private spawnChild(): Promise<void> {
    const { options } = this;
    const generation = ++this.generation;
    const args = childArgs(options.dataDir, options.settings.memoryMb);
    // A process started ahead of this load serves its first start only.
    const prestarted = options.prestarted;
    options.prestarted = undefined;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (error?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      };
      const timer = setTimeout(() => {
        settle(
          mcError(
            'TIMEOUT',
            `load ${options.label}: the provider did not finish loading (its process, import, factory, initialize()) within ${options.timeoutMs} ms; raise the \`initializeTimeoutMs\` option, or fix what it waits for`,
            { retryable: true },
          ),
        );
        this.kill();
      }, options.timeoutMs);
      void mkdir(options.dataDir, { recursive: true })
        .then(() => {
          const adopted = prestarted?.adopt(args);
          prestarted?.release();
          const child = adopted?.child ?? spawnProviderProcess(args);
          this.child = child;
          this.stderrTail = adopted?.stderr ?? '';
          this.malformed = undefined;
          child.stdout?.on('data', (chunk: Buffer) => options.logger.debug(`${options.label}: ${chunk.toString('utf8').trimEnd()}`));
          child.stderr?.on('data', (chunk: Buffer) => {
            this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-4096);
          });
          child.on('error', (error) => this.onExit(generation, null, null, error));
          child.on('exit', (code, signal) => {
            if (!settled) settle(this.crashError(code, signal, 'while it was loading'));
            this.onExit(generation, code, signal);
          });
          const socket = child.stdio[3] as Duplex;
          // A write to a child that just died fails; its exit is what reports it.
          socket.on('error', () => {});
          const channel = new Channel(
            socket,
            (message) => received(message as ChildToHost),
            (error) => {
              this.malformed = error.message;
              this.kill();
            },
            (message, error) => this.refused(message as HostToChild, error),
          );
          this.channel = channel;
          const received = (message: ChildToHost) => {
            if (message.t === 'ready') {
              this.provider = { ref: message.provider, models: message.models };
              this.startHeartbeat(generation);
              settle();
            } else if (message.t === 'init-failed') {
              const what = { import: 'threw while being imported', factory: 'factory threw', shape: 'is not a valid v1 provider', initialize: 'initialize() failed' }[
                message.stage
              ];
              const error = decodeError(message.error, contract);
              settle(
                message.stage === 'shape' && contract.MediaConduitError.isInstance(error)
                  ? mcError('INCOMPATIBLE_PROVIDER', `load ${options.label}: ${error.message}`, { details: error.details })
                  : loadFailed(options.label, what, error),
              );
              this.kill();
            } else this.onMessage(message);
          };
          const { manifest } = options;
          this.post({
            t: 'init',
            bundle: options.bytes,
            bundleUrl: options.bundlePath,
            manifest: { id: manifest.id, name: manifest.name, version: manifest.version, env: manifest.env, capabilities: manifest.capabilities },
            config: stripEnv(options.config),
            variables: isolatedVariables(this.variables),
            dataDir: options.dataDir,
            label: options.label,
          });
        })
        .catch((error: unknown) => settle(error));
    });
  }

  /** The channel to the current child. */
  private channel: Channel | undefined;
  /** Why the current child's channel was closed from this side: it sent what is not this protocol. */
  private malformed: string | undefined;

  /** Sends to the current child, batched with what else this turn sends. */
  private post(message: HostToChild): void {
    this.channel?.send(message);
  }

  private kill(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  private startHeartbeat(generation: number): void {
    clearInterval(this.heartbeat);
    this.lastPong = Date.now();
    let n = 0;
    this.heartbeat = setInterval(() => {
      if (generation !== this.generation) return;
      if (Date.now() - this.lastPong > this.options.settings.heartbeatMs * 3) {
        this.hung = true;
        this.kill();
        return;
      }
      this.post({ t: 'ping', n: ++n });
    }, this.options.settings.heartbeatMs);
    this.heartbeat.unref();
  }

  private crashError(code: number | null, signal: NodeJS.Signals | null, when: string, hung = false): unknown {
    const { label, settings } = this.options;
    if (hung) {
      return mcError(
        'TIMEOUT',
        `${label}: the provider's process stopped answering (its event loop was blocked for over ${settings.heartbeatMs * 3} ms) and was ended; the next call starts it again`,
        {
          retryable: true,
        },
      );
    }
    const memory = /heap out of memory|Allocation failed/i.test(this.stderrTail);
    const how = memory
      ? `ran out of memory (its heap is capped at ${settings.memoryMb} MB: the \`isolationMemoryMb\` option)`
      : this.malformed
        ? `sent the host ${this.malformed} and was ended`
        : signal
          ? `was ended by ${signal}`
          : `exited with code ${code}`;
    const lastWords = lastError(this.stderrTail);
    return mcError('PROVIDER_CRASHED', `${label}: the provider's process ${how} ${when}; the next call starts it again`, {
      retryable: true,
      details: { exitCode: code, signal, outOfMemory: memory, ...(this.malformed ? { malformed: true } : {}), ...(lastWords ? { stderr: lastWords } : {}) },
    });
  }

  private onExit(generation: number, code: number | null, signal: NodeJS.Signals | null, error?: Error): void {
    if (generation !== this.generation) return;
    clearInterval(this.heartbeat);
    const hung = this.hung;
    this.hung = false;
    this.child = undefined;
    this.channel = undefined;
    this.provider = undefined;
    if (this.closed) return;
    const failure = error
      ? mcError('PROVIDER_CRASHED', `${this.options.label}: the provider's process could not run: ${error.message}`, { retryable: true })
      : this.crashError(code, signal, 'during a call', hung);
    this.malformed = undefined;
    this.crashes++;
    this.restartAt = this.options.now() + Math.min(this.options.settings.restartMaxMs, this.options.settings.restartBackoffMs * 2 ** (this.crashes - 1));
    for (const [, call] of this.calls) call.reject(failure);
    this.calls.clear();
    for (const [, stream] of this.streams) this.endStream(stream, failure);
    this.streams.clear();
    for (const [, forwarded] of this.requests) forwarded.controller.abort();
    this.requests.clear();
    this.forwardedBodyBytes = 0;
    this.callbacks.clear();
  }

  /** The child, started again if it crashed (not before its back-off ends). */
  private async alive(): Promise<void> {
    if (this.closed) throw mcError('ABORTED', `${this.options.label}: the registry was closed`);
    if (this.child && this.provider) return;
    if (this.starting) return this.starting;
    const wait = this.restartAt - this.options.now();
    if (wait > 0) {
      throw mcError(
        'PROVIDER_CRASHED',
        `${this.options.label}: the provider's process crashed ${this.crashes} time${this.crashes === 1 ? '' : 's'} in a row; it starts again in ${Math.ceil(wait)} ms`,
        {
          retryable: true,
          retryAfterMs: wait,
        },
      );
    }
    await this.start();
  }

  private onMessage(message: ChildToHost): void {
    switch (message.t) {
      case 'result':
      case 'error': {
        const call = this.calls.get(message.id);
        if (call) {
          this.calls.delete(message.id);
          for (const clean of call.cleanup) clean();
          if (message.t === 'result') {
            if (message.models && this.provider) this.provider.models = message.models;
            if (call.counts) this.crashes = 0;
            call.resolve(message.value);
          } else call.reject(decodeError(message.error, contract));
          break;
        }
        const stream = this.streams.get(message.id);
        if (stream && message.t === 'error') {
          this.streams.delete(message.id);
          this.endStream(stream, decodeError(message.error, contract));
        }
        break;
      }
      case 'item': {
        const stream = this.streams.get(message.id);
        if (!stream) break;
        if (stream.items.length >= STREAM_WINDOW) {
          // More parts than the host granted: the process ignores the flow control, and would make the host hold them all.
          this.malformed = `more parts of a stream than the ${STREAM_WINDOW} it was granted`;
          this.kill();
          break;
        }
        const value = decode(message.value, this.decoder);
        if (stream.waiting) {
          const { resolve } = stream.waiting;
          stream.waiting = undefined;
          this.post({ t: 'credit', id: message.id, n: 1 });
          resolve({ value, done: false });
        } else stream.items.push(value);
        break;
      }
      case 'end': {
        const stream = this.streams.get(message.id);
        if (!stream) break;
        this.streams.delete(message.id);
        this.endStream(stream);
        break;
      }
      case 'fn':
        try {
          void this.callbacks.get(message.fn)?.(...message.args.map((arg) => decode(arg, this.decoder)));
        } catch (error) {
          this.options.logger.warn(`${this.options.label}: a callback threw`, { error: String(error) });
        }
        break;
      case 'http':
        void this.forward(message.req, message.request);
        break;
      case 'http-abort':
        this.requests.get(message.req)?.controller.abort();
        break;
      case 'http-credit': {
        const forwarded = this.requests.get(message.req);
        if (!forwarded) break;
        // Never more than the window ahead, whatever the child asks for: it cannot make the host push a whole body at once.
        const n = Number.isInteger(message.n) && message.n > 0 ? message.n : 0;
        forwarded.credit = Math.min(BODY_WINDOW, forwarded.credit + n);
        forwarded.wake?.();
        break;
      }
      case 'log':
        // Only the logger's three levels, with text: the child names the method, and the host's logger may have others.
        if (message.level === 'debug' || message.level === 'warn' || message.level === 'error') {
          this.options.logger[message.level](
            `${this.options.label}: ${String(message.message)}`,
            message.fields !== null && typeof message.fields === 'object' ? message.fields : undefined,
          );
        }
        break;
      case 'pong':
        this.lastPong = Date.now();
        break;
    }
  }

  /** A message that could not cross (a value over the channel's limits): its call fails, typed. */
  private refused(message: HostToChild, error: Error): void {
    const failure = mcError(
      error instanceof RangeError ? 'LIMIT_EXCEEDED' : 'INVALID_INPUT',
      `${this.options.label}: the input cannot cross to the provider's process: ${error.message}`,
    );
    if (message.t === 'call') {
      const call = this.calls.get(message.id);
      this.calls.delete(message.id);
      for (const clean of call?.cleanup ?? []) clean();
      call?.reject(failure);
    } else if (message.t === 'stream') {
      const stream = this.streams.get(message.id);
      this.streams.delete(message.id);
      if (stream) this.endStream(stream, failure);
    } else {
      this.options.logger.warn(`${this.options.label}: a message to the provider's process could not be sent: ${error.message}`);
    }
  }

  private endStream(stream: StreamState, error?: unknown): void {
    stream.done = true;
    stream.error = error;
    for (const clean of stream.cleanup) clean();
    const waiting = stream.waiting;
    stream.waiting = undefined;
    if (!waiting) return;
    if (error) waiting.reject(error);
    else waiting.resolve({ value: undefined, done: true });
  }

  /**
   * Makes a request the provider asked for, with the host's client: the secrets the manifest lets
   * the host send to its origin are added here, and only here. The answer streams back.
   */
  private async forward(req: number, request: WireHttpRequest): Promise<void> {
    const controller = new AbortController();
    const forwarded: Forwarded = { controller, credit: BODY_WINDOW, bodyBytes: bodyBytesOf(request) };
    const generation = this.generation;
    // Whole milliseconds, at most a day: the time limit is part of a client's key.
    const timeoutMs = typeof request.timeoutMs === 'number' && request.timeoutMs > 0 ? Math.min(MAX_FORWARDED_TIMEOUT_MS, Math.ceil(request.timeoutMs)) : Number.NaN;
    let client: HttpClientV1 | undefined;
    let counted = false;
    try {
      if (this.requests.size >= MAX_FORWARDED_REQUESTS || this.requests.has(req)) {
        throw mcError(
          'LIMIT_EXCEEDED',
          `${request.operation}: the provider has ${this.requests.size} requests in flight through the host, the most it may have; wait for some to end`,
        );
      }
      if (this.forwardedBodyBytes + forwarded.bodyBytes > MAX_FORWARDED_BODY_BYTES) {
        throw mcError('LIMIT_EXCEEDED', `${request.operation}: the bodies of the provider's requests in flight would pass ${MAX_FORWARDED_BODY_BYTES} bytes; wait for some to end`);
      }
      this.requests.set(req, forwarded);
      this.forwardedBodyBytes += forwarded.bodyBytes;
      counted = true;
      if (Number.isNaN(timeoutMs)) {
        throw mcError('INVALID_INPUT', `${request.operation}: timeoutMs must be a positive number of milliseconds, got ${String(request.timeoutMs)}`);
      }
      const url = new URL(request.url);
      const forbidden = forbiddenHostReason(url.host);
      if (forbidden) throw mcError('PERMISSION_DENIED', `${request.operation}: a provider may not ask the host for ${forbidden}`);
      // One client per origin and time limit: the limit is its pool's default, not set per request.
      const key = `${timeoutMs} ${url.origin}`;
      client = this.clients.get(key);
      if (client) {
        // Most recently used last: the first is the one to close when there are too many.
        this.clients.delete(key);
        this.clients.set(key, client);
      } else {
        client = createHttpClient({ baseURL: url.origin, dispatcher: this.options.dispatcher, timeoutMs });
        this.clients.set(key, client);
        if (this.clients.size > MAX_CLIENTS) {
          const [oldestKey, oldest] = this.clients.entries().next().value as [string, HttpClientV1];
          this.clients.delete(oldestKey);
          void oldest.close().catch(() => {});
        }
      }
      const headers = addKeptSecrets(url.origin, request.headers, this.kept, (name) => hostValue(this.variables, name), this.withheld);
      const sent: RawBodyRequest = {
        method: request.method,
        // Relative to the client's origin: the URL is not parsed again.
        path: url.pathname + url.search,
        headers,
        signal: controller.signal,
        operation: request.operation,
        ...(request.json !== undefined ? { rawBody: request.json } : {}),
        ...(request.form ? { form: toFormData(request.form) } : {}),
        ...(request.bytes instanceof Uint8Array ? { rawBody: request.bytes } : {}),
      };
      if (request.json !== undefined) headers['content-type'] = 'application/json';
      const response = await client.request(sent);
      if (generation !== this.generation) return;
      const responseHeaders = response.headers as Record<string, string | string[] | undefined>;
      // A small response that is not a stream of events crosses whole, in one message: two hops fewer
      // a call. A large one (an image) crosses in chunks, so that neither side holds it twice.
      const length = Number(responseHeaders['content-length'] ?? Number.NaN);
      if (!/event-stream/i.test(String(responseHeaders['content-type'] ?? '')) && length <= WHOLE_RESPONSE_MAX) {
        const body = Buffer.from(await response.body.arrayBuffer());
        if (generation !== this.generation) return;
        this.post({ t: 'http-whole', req, status: response.status, headers: responseHeaders, bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
        return;
      }
      this.post({ t: 'http-head', req, status: response.status, headers: responseHeaders });
      // At the provider's pace: past its window, the loop waits for credit, so undici stops reading
      // the socket and neither process piles up the body (an abort wakes it too).
      controller.signal.addEventListener('abort', () => forwarded.wake?.(), { once: true });
      for await (const chunk of response.body) {
        if (generation !== this.generation) return;
        const bytes = chunk as Buffer;
        this.post({ t: 'http-data', req, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) });
        forwarded.credit--;
        while (forwarded.credit <= 0 && !controller.signal.aborted && generation === this.generation) {
          await new Promise<void>((resolve) => {
            forwarded.wake = resolve;
          });
          forwarded.wake = undefined;
        }
      }
      this.post({ t: 'http-end', req });
    } catch (error) {
      // (Before a client exists, the error is the broker's own refusal, or a URL that does not parse.)
      const typed = client ? client.toError(request.operation, error, controller.signal, timeoutMs) : error;
      this.post({ t: 'http-fail', req, error: encodeError(typed, contract) });
    } finally {
      if (counted && this.requests.get(req) === forwarded) {
        this.requests.delete(req);
        this.forwardedBodyBytes -= forwarded.bodyBytes;
      }
    }
  }

  private registerCallback(fn: (...args: unknown[]) => unknown) {
    const id = this.nextId++;
    this.callbacks.set(id, fn);
    return { $: 'fn' as const, id };
  }

  private registerSignal(signal: AbortSignal) {
    const id = this.nextId++;
    if (signal.aborted) return { $: 'signal' as const, id, aborted: true, reason: encodeError(signal.reason, contract) };
    const onAbort = () => this.post({ t: 'abort', signal: id, reason: encodeError(signal.reason, contract) });
    signal.addEventListener('abort', onAbort, { once: true });
    this.signalCleanup.push(() => signal.removeEventListener('abort', onAbort));
    return { $: 'signal' as const, id, aborted: false };
  }

  /** What registering the current call's signals and callbacks left to undo when it settles. */
  private signalCleanup: (() => void)[] = [];

  private encodeArgs(args: unknown[]): { wire: unknown[]; cleanup: (() => void)[] } {
    this.signalCleanup = [];
    const callbackIds: number[] = [];
    const encoder: Encoder = {
      ...this.encoder,
      fn: (fn) => {
        const wire = this.registerCallback(fn);
        callbackIds.push(wire.id);
        return wire;
      },
    };
    const wire = args.map((arg) => encode(arg, encoder));
    const cleanup = [
      ...this.signalCleanup,
      () => {
        for (const id of callbackIds) this.callbacks.delete(id);
      },
    ];
    this.signalCleanup = [];
    return { wire, cleanup };
  }

  /** The current id of `remote` in the child, fetched again by its recipe after a restart. */
  private async current(remote: Remote): Promise<number> {
    await this.alive();
    if (remote.generation === this.generation) return remote.id;
    if (!remote.recipe)
      throw mcError('PROVIDER_CRASHED', `${this.options.label}: this object was lost when the provider's process started again; get it from the provider again`, {
        retryable: false,
      });
    const again =
      remote.recipe.via === 'prop'
        ? (this.provider?.ref.props[remote.recipe.name] as WireRef | undefined)
        : ((await this.send(0, remote.recipe.method, remote.recipe.args, false)) as WireRef | undefined);
    if (again?.$ !== 'ref') throw mcError('PROVIDER_CRASHED', `${this.options.label}: this object could not be found again after the provider's process started again`);
    remote.generation = this.generation;
    remote.id = again.id;
    return again.id;
  }

  /** Sends one call and waits for its result (still encoded). */
  private async send(ref: number, method: string, args: unknown[], counts = true): Promise<unknown> {
    await this.alive();
    const id = this.nextId++;
    const { wire, cleanup } = this.encodeArgs(args);
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject, cleanup, counts });
      this.post({ t: 'call', id, ref, method, args: wire });
    });
  }

  /** Calls `method` of `remote` and decodes its result; objects it returns get a recipe to be found again after a restart. */
  private async call(remote: Remote, method: string, args: unknown[]): Promise<unknown> {
    const copies: Staged[] = [];
    try {
      const staged = await this.stageInputs(method, args, copies);
      const ref = await this.current(remote);
      const value = (await this.send(ref, method, staged)) as unknown;
      const { result, props } = ref === 0 ? { result: value, props: undefined } : (value as { result: unknown; props?: Record<string, unknown> });
      // The object's data members as they are now (a training job's `info` moves on with each call).
      if (props && remote.object) for (const [name, data] of Object.entries(props)) remote.object[name] = decode(data, this.decoder);
      return decode(result, { ...this.decoder, ref: (wire) => this.remoteObject(wire, recipeFor(method, staged, wire)) });
    } catch (error) {
      // The provider names the copies it read: its errors name the caller's own paths instead.
      throw copies.length > 0 ? withOriginalPaths(error, copies) : error;
    } finally {
      // The provider read (and uploaded) the copies during the call: they go when it settles.
      if (copies.length > 0) await Promise.all(copies.map((copy) => rm(copy.folder, { recursive: true, force: true }).catch(() => {})));
    }
  }

  /** A streaming call: an async iterable at once, fed by the child at the reader's pace. */
  private stream(remote: Remote, method: string, args: unknown[]): AsyncIterable<unknown> {
    const host = this;
    return {
      [Symbol.asyncIterator]() {
        let id: number | undefined;
        let state: StreamState | undefined;
        const starting = (async () => {
          const ref = await host.current(remote);
          id = host.nextId++;
          const { wire, cleanup } = host.encodeArgs(args);
          state = { items: [], done: false, cleanup };
          host.streams.set(id, state);
          host.post({ t: 'stream', id, ref, method, args: wire, credit: STREAM_WINDOW });
        })();
        return {
          async next(): Promise<IteratorResult<unknown>> {
            await starting;
            const s = state!;
            if (s.items.length > 0) {
              host.post({ t: 'credit', id: id!, n: 1 });
              return { value: s.items.shift(), done: false };
            }
            if (s.done) {
              if (s.error) throw s.error;
              return { value: undefined, done: true };
            }
            return new Promise((resolve, reject) => {
              s.waiting = { resolve, reject };
            });
          },
          async return(): Promise<IteratorResult<unknown>> {
            await starting.catch(() => {});
            if (id !== undefined && state && !state.done) {
              host.streams.delete(id);
              host.post({ t: 'stop', id });
              host.endStream(state);
            }
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  /**
   * Files a call names on the host's disk (training data, a file to upload) are copied into the
   * child's scratch folder first: it may read nothing else. The copies are removed once the call
   * settles (the provider has read them by then).
   */
  private async stageInputs(method: string, args: unknown[], copies: Staged[]): Promise<unknown[]> {
    if (method === 'createTrainingJob' && args[0] && typeof args[0] === 'object') {
      const options = args[0] as { data?: string | readonly string[] };
      if (options.data === undefined) return args;
      const data = typeof options.data === 'string' ? await this.stage(options.data, copies) : await Promise.all(options.data.map((path) => this.stage(path, copies)));
      return [{ ...options, data }, ...args.slice(1)];
    }
    if (method === 'upload' && typeof args[0] === 'string') return [await this.stage(args[0], copies), ...args.slice(1)];
    return args;
  }

  /**
   * Copies `path` into a new folder of the scratch folder (listed in `copies`, removed after the
   * call). A path that does not exist is not copied: the provider finds it missing, and says so.
   */
  private async stage(path: string, copies: Staged[]): Promise<string> {
    if (typeof path !== 'string' || path === '') return path;
    const folder = join(this.options.dataDir, 'inputs', `${Date.now().toString(36)}-${this.nextId++}`);
    const target = join(folder, basename(path));
    copies.push({ folder, target, original: path });
    try {
      await mkdir(folder, { recursive: true });
      await cp(path, target, { recursive: true, verbatimSymlinks: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ENOTDIR') && (error as NodeJS.ErrnoException).path === path) return target;
      // No space, no permission, a read-only disk: typed, naming the path (the caller's or the scratch folder's).
      const typed = fileSystemError(`copy ${path} into the provider's scratch folder`, error);
      throw contract.MediaConduitError.isInstance(typed)
        ? typed
        : mcError('INVALID_INPUT', `${path}: cannot be copied for the provider's process (${code ?? (error as Error).message}); check that this user can read it`, {
            cause: error,
          });
    }
    // An image's caption (`x.txt` beside `x.png`) goes with it, as the provider looks for it there.
    const caption = `${basename(path, extname(path))}.txt`;
    if (extname(path) !== '.txt' && (await stat(join(dirname(path), caption)).catch(() => undefined))?.isFile()) {
      await cp(join(dirname(path), caption), join(folder, caption));
    }
    return target;
  }

  /** A host-side stand-in for an object of the child: its data, and methods that call it. */
  private remoteObject(wire: WireRef, recipe: Recipe | undefined): object {
    const object: Record<string, unknown> = {};
    const remote: Remote = { generation: this.generation, id: wire.id, recipe, object };
    for (const [name, value] of Object.entries(wire.props)) {
      object[name] = decode(value, this.decoder);
    }
    for (const name of wire.methods) {
      object[name] = name === 'stream' ? (...args: unknown[]) => this.stream(remote, name, args) : (...args: unknown[]) => this.call(remote, name, args);
    }
    return object;
  }

  /** The provider as the host's callers see it. */
  providerProxy(): MediaProviderV1 {
    const ready = this.provider!;
    const remote: Remote = { generation: this.generation, id: 0 };
    const proxy: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(ready.ref.props)) {
      proxy[name] = decode(value, { ...this.decoder, ref: (inner) => this.remoteObject(inner, { via: 'prop', name }) });
    }
    for (const name of ready.ref.methods) {
      if (name === 'initialize' || name === 'dispose' || name === 'getModelsForCapability') continue;
      proxy[name] = (...args: unknown[]) => this.call(remote, name, args);
    }
    proxy.getModelsForCapability = (capability: Capability) => decode(this.provider?.models[capability] ?? ready.models[capability] ?? [], this.decoder) as ModelInfoV1[];
    proxy.dispose = () => this.close();
    Object.defineProperty(proxy, 'isolation', { value: 'process', enumerable: false });
    return proxy as unknown as MediaProviderV1;
  }

  /** Ends the child: asks its provider to dispose, and kills it if it has not exited after 2 s. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    const child = this.child;
    const failure = mcError('ABORTED', `${this.options.label}: the registry was closed`);
    for (const [, call] of this.calls) call.reject(failure);
    this.calls.clear();
    for (const [, stream] of this.streams) this.endStream(stream, failure);
    for (const [, forwarded] of this.requests) forwarded.controller.abort();
    await Promise.all([...this.clients.values()].map((c) => c.close().catch(() => {})));
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 2000);
      timer.unref();
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.channel) this.post({ t: 'close' });
      else child.kill('SIGKILL');
    });
  }
}

/** What a dead child's error output says went wrong: its error lines, else its last line. */
function lastError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^Node\.js v\d/.test(line));
  const errors = lines.filter((line) => /^(\w*Error\b|code: '|FATAL ERROR)/.test(line));
  return (errors.length > 0 ? errors.slice(0, 3) : lines.slice(-1)).join('\n').slice(0, 1000);
}

/** How an object a call returned is found again in a restarted child. */
/** A file a call named, copied into the child's scratch folder. */
interface Staged {
  /** The folder the copy is in (removed after the call). */
  folder: string;
  /** The copy, as the child reads it. */
  target: string;
  /** The path the caller gave. */
  original: string;
}

/** `error` with every path of a copy in its message, details and stack replaced by the caller's own. */
function withOriginalPaths(error: unknown, copies: readonly Staged[]): unknown {
  if (!(error instanceof Error)) return error;
  const swap = (text: string) => copies.reduce((out, copy) => out.split(copy.target).join(copy.original), text);
  const deep = (value: unknown): unknown =>
    typeof value === 'string'
      ? swap(value)
      : Array.isArray(value)
        ? value.map(deep)
        : value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, deep(v)]))
          : value;
  const target = error as Error & { details?: unknown };
  try {
    target.message = swap(target.message);
    if (target.stack) target.stack = swap(target.stack);
    if (target.details !== undefined) target.details = deep(target.details);
  } catch {
    // A frozen error stays as it is.
  }
  return error;
}

function recipeFor(method: string, args: unknown[], wire: WireRef): Recipe | undefined {
  const plain = args.map((arg) => (arg && typeof arg === 'object' && !Array.isArray(arg) ? withoutLive(arg as Record<string, unknown>) : arg));
  if (method === 'getModel') return { via: 'call', method, args: plain };
  if ((method === 'createTrainingJob' || method === 'getTrainingJob') && typeof wire.props.id === 'string') return { via: 'call', method: 'getTrainingJob', args: [wire.props.id] };
  return undefined;
}

/** Call options without what cannot be replayed (signals, callbacks). */
function withoutLive(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (typeof value !== 'function' && !(value instanceof AbortSignal)) out[key] = value;
  return out;
}

function stripEnv(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { env: _env, ...rest } = config as Record<string, unknown>;
  return rest;
}

function toFormData(entries: NonNullable<WireHttpRequest['form']>): FormData {
  const form = new FormData();
  for (const entry of entries) {
    if ('value' in entry) form.append(entry.name, entry.value);
    else form.append(entry.name, new Blob([entry.bytes], { type: entry.type }), entry.filename);
  }
  return form;
}
