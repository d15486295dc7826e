// The entry of a provider's own process (see isolated-provider.ts). It runs under Node's permission
// model with an empty environment: it may read only this file (the contract is bundled into it) and
// its dependencies, write only its scratch folder, and start no process or worker. It imports the
// bundle's verified bytes that the host sends, makes the provider, and serves the host's calls.
// Every request the provider makes goes to the host, which adds the secrets it keeps.
import { Socket } from 'node:net';
import * as contract from '@mediaconduit/provider';
import type { LoggerV1, MediaProviderV1 } from '@mediaconduit/provider';
import { bindContract } from '../build/contract-binding.js';
import { createProviderContext } from '../context/provider-context.js';
import { moduleUrl } from '../pipeline/instantiate.js';
import { providerShapeProblems } from '../pipeline/validate-provider.js';
import { memberNames } from '../util/member-names.js';
import { ChildHttp } from './child-http.js';
import { Channel } from './channel.js';
import type { ChildToHost, HostToChild, InitMessage } from './protocol.js';
import { decode, type Decoder, decodeError, encode, type Encoder, encodeError, type WireRef } from './wire.js';

// The channel to the host: the socket it passed as fd 3.
const socket = new Socket({ fd: 3, readable: true, writable: true });
const channel = new Channel(
  socket,
  (message) => receive(message as HostToChild),
  // The host sent what this side cannot read: nothing more can be trusted to arrive.
  () => process.exit(70),
  // A result or part that cannot cross (a value over the channel's limits) fails its call instead.
  (message, error) => {
    const { t, id } = message as { t: string; id?: number };
    if ((t === 'result' || t === 'item') && id !== undefined) {
      send({
        t: 'error',
        id,
        error: encodeError(
          new contract.MediaConduitError({
            code: error instanceof RangeError ? 'LIMIT_EXCEEDED' : 'PROVIDER_ERROR',
            message: `the result cannot cross to the host: ${error.message}`,
          }),
          contract,
        ),
      });
    }
  },
);
const send = (message: ChildToHost): void => channel.send(message);
// The host is gone (it exited, or was killed): so is this process.
socket.on('end', () => process.exit(0));
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(0));

const closing = new AbortController();
const http = new ChildHttp(send, contract);
// The objects handed to the host (models, jobs) live as long as this process: a restart frees them.
const objects = new Map<number, object>();
const objectIds = new WeakMap<object, number>();
let nextObject = 1;
const signals = new Map<number, AbortController>();
const streams = new Map<number, { iterator: AsyncIterator<unknown>; credit: number; pumping: boolean; stopped: boolean }>();
let provider: MediaProviderV1 | undefined;

const encoder: Encoder = {
  contract,
  ref(object) {
    let id = objectIds.get(object);
    if (id === undefined) {
      id = nextObject++;
      objects.set(id, object);
      objectIds.set(object, id);
    }
    return describe(object, id);
  },
};

const decoder: Decoder = {
  contract,
  fn:
    ({ id }) =>
    (...args: unknown[]) =>
      send({ t: 'fn', fn: id, args: args.map((arg) => encode(arg, encoder)) }),
  signal({ id, aborted, reason }) {
    const controller = new AbortController();
    if (aborted) controller.abort(reason ? decodeError(reason, contract) : undefined);
    else signals.set(id, controller);
    return controller.signal;
  },
};

/** An object with methods, as the host sees it: its data members, and the names of its methods. */
function describe(object: object, id: number): WireRef {
  const props: Record<string, unknown> = {};
  const methods: string[] = [];
  for (const name of memberNames(object)) {
    let value: unknown;
    try {
      value = (object as Record<string, unknown>)[name];
    } catch {
      continue;
    }
    if (typeof value === 'function') methods.push(name);
    else if (value !== undefined) props[name] = encode(value, encoder, 1);
  }
  return { $: 'ref', id, props, methods };
}

const log =
  (level: 'debug' | 'warn' | 'error') =>
  (message: string, fields?: Readonly<Record<string, unknown>>): void =>
    send({ t: 'log', level, message: String(message), ...(fields ? { fields: encode(fields, encoder) as Record<string, unknown> } : {}) });
const logger: LoggerV1 = { debug: log('debug'), warn: log('warn'), error: log('error') };

/** The models the provider knows per capability: what the host's `getModelsForCapability` answers from. */
function models(): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const capability of provider?.capabilities ?? []) {
    try {
      out[capability] = encode(provider!.getModelsForCapability(capability), encoder) as unknown[];
    } catch {
      out[capability] = [];
    }
  }
  return out;
}

async function init(message: InitMessage): Promise<void> {
  bindContract();
  let stage: 'import' | 'factory' | 'shape' | 'initialize' = 'import';
  try {
    const module = (await import(moduleUrl(message.bundle, message.bundleUrl))) as { default?: unknown };
    stage = 'factory';
    let value = module.default;
    if (value === undefined)
      throw new Error(`${message.manifest.id}: the bundle has no default export; export a factory: \`export default (context) => createMyProvider(context)\``);
    if (typeof value === 'function') {
      const context = createProviderContext({
        manifest: message.manifest,
        config: message.config,
        dispatcher: undefined,
        logger,
        signal: closing.signal,
        environment: {},
        dataDir: message.dataDir,
        isolated: { variables: message.variables, createHttpClient: http.factory },
      });
      value = await (value as (c: unknown) => unknown)(context);
    }
    stage = 'shape';
    const { spec, capabilities } = providerShapeProblems(value, message.manifest as never);
    if (spec.length + capabilities.length > 0) {
      throw new contract.MediaConduitError({
        code: 'INCOMPATIBLE_PROVIDER',
        message: `not a valid v1 provider:\n${[...spec, ...capabilities].map((p) => `  - ${p}`).join('\n')}`,
        details: { problems: [...spec, ...capabilities] },
      });
    }
    provider = value as MediaProviderV1;
    stage = 'initialize';
    await provider.initialize?.({ signal: closing.signal });
    objects.set(0, provider);
    objectIds.set(provider, 0);
    send({ t: 'ready', provider: describe(provider, 0), models: models() });
  } catch (error) {
    send({ t: 'init-failed', stage, error: encodeError(error, contract) });
  }
}

async function call(message: Extract<HostToChild, { t: 'call' }>): Promise<void> {
  try {
    const target = objects.get(message.ref);
    const method = target && (target as Record<string, unknown>)[message.method];
    if (typeof method !== 'function') throw new TypeError(`${message.method} is not a method of this object`);
    const args = message.args.map((arg) => decode(arg, decoder));
    const value = await (method as (...a: unknown[]) => unknown).apply(target, args);
    if (message.ref === 0) send({ t: 'result', id: message.id, value: encode(value, encoder), models: models() });
    // For another object, its data members as they are now: a training job's `info` moves on with each call.
    else send({ t: 'result', id: message.id, value: { result: encode(value, encoder), props: describe(target as object, message.ref).props } });
  } catch (error) {
    send({ t: 'error', id: message.id, error: encodeError(error, contract) });
  }
}

function stream(message: Extract<HostToChild, { t: 'stream' }>): void {
  try {
    const target = objects.get(message.ref);
    const method = target && (target as Record<string, unknown>)[message.method];
    if (typeof method !== 'function') throw new TypeError(`${message.method} is not a method of this object`);
    const iterable = (method as (...a: unknown[]) => AsyncIterable<unknown>).apply(
      target,
      message.args.map((arg) => decode(arg, decoder)),
    );
    streams.set(message.id, { iterator: iterable[Symbol.asyncIterator](), credit: message.credit, pumping: false, stopped: false });
    void pump(message.id);
  } catch (error) {
    send({ t: 'error', id: message.id, error: encodeError(error, contract) });
  }
}

/** Sends a stream's parts while the host has granted credit for them (its reader's pace). */
async function pump(id: number): Promise<void> {
  const state = streams.get(id);
  if (!state || state.pumping) return;
  state.pumping = true;
  try {
    while (state.credit > 0 && !state.stopped) {
      const next = await state.iterator.next();
      if (state.stopped) break;
      if (next.done) {
        streams.delete(id);
        send({ t: 'end', id });
        return;
      }
      state.credit--;
      send({ t: 'item', id, value: encode(next.value, encoder) });
    }
  } catch (error) {
    streams.delete(id);
    if (!state.stopped) send({ t: 'error', id, error: encodeError(error, contract) });
  } finally {
    state.pumping = false;
  }
}

function receive(message: HostToChild): void {
  switch (message.t) {
    case 'init':
      void init(message);
      break;
    case 'call':
      void call(message);
      break;
    case 'stream':
      stream(message);
      break;
    case 'credit': {
      const state = streams.get(message.id);
      if (state) {
        state.credit += message.n;
        void pump(message.id);
      }
      break;
    }
    case 'stop': {
      const state = streams.get(message.id);
      streams.delete(message.id);
      if (state) {
        state.stopped = true;
        void state.iterator.return?.().catch(() => {});
      }
      break;
    }
    case 'abort':
      signals.get(message.signal)?.abort(decodeError(message.reason, contract));
      signals.delete(message.signal);
      break;
    case 'http-head':
      http.head(message.req, message.status, message.headers);
      break;
    case 'http-whole':
      http.whole(message.req, message.status, message.headers, message.bytes);
      break;
    case 'http-data':
      http.data(message.req, message.bytes);
      break;
    case 'http-end':
      http.end(message.req);
      break;
    case 'http-fail':
      http.fail(message.req, message.error);
      break;
    case 'ping':
      send({ t: 'pong', n: message.n });
      break;
    case 'close':
      closing.abort();
      void Promise.resolve(provider?.dispose?.())
        .catch(() => {})
        .finally(() => {
          send({ t: 'closed' });
          // After the frame holding 'closed' is written: ending the socket tells the host this process is done.
          channel.afterFlush(() => socket.end(() => process.exit(0)));
        });
      break;
  }
}
