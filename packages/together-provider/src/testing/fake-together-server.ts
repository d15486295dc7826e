import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeFineTunes } from './fake-fine-tunes.js';
import { refuseRequest, typedFormFields } from './fake-strictness.js';
import { fakeEmbedding, fakeImage, fakeMp3, fakeRawPcm, fakeWav, hash, textOfFakeWav } from './fake-media.js';
import { FAKE_MODELS, FINE_TUNABLE_EXAMPLES, type FakeModel } from './fake-models.js';

/** A scripted misbehaviour. Faults are matched in the order added; each applies `times` times. */
export interface FakeFault {
  /** Only requests whose path (without `/v1`) starts with this, e.g. `/chat/completions`. Default: every request. */
  path?: string;
  /** How many matching requests it applies to (then success returns). Default 1. */
  times?: number;
  /** Wait this long before answering. */
  latencyMs?: number;
  /** Answer with this status and an error envelope (or `body`). */
  status?: number;
  /** Error envelope fields, or a whole custom body. */
  error?: { message?: string; type?: string; code?: string | null };
  body?: unknown;
  /** Extra response headers, e.g. `retry-after-ms`, `x-ratelimit-remaining`. */
  headers?: Readonly<Record<string, string>>;
  /** Destroy the connection without answering. */
  reset?: boolean;
  /** For streams: send part of the stream, then close without `[DONE]`. */
  truncateStream?: boolean;
  /** For streams: send part of the stream, then an `error` event. */
  streamError?: { message: string; type?: string; code?: string };
  /** For streams: send part of the stream, then an event whose data is not JSON, then the rest. */
  malformedEvent?: boolean;
  /** For images: cut each image's bytes to this many (a download cut off, a proxy truncating). */
  truncateImageTo?: number;
}

/** One request the fake received. */
export interface FakeRequest {
  method: string;
  /** Path without the `/v1` prefix, e.g. `/chat/completions`. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body. */
  json?: unknown;
  /** Parsed multipart fields; files as `{ fileName, type, size }`. */
  form?: Record<string, string | { fileName: string; type: string; size: number }>;
  /** Status the fake answered with (0 for a reset). */
  status: number;
  /** Client port of the connection (requests on one keep-alive connection share it). */
  remotePort: number;
  /** The response body for JSON answers (for contract tests). */
  response?: unknown;
  /** `data:` payloads of a streamed answer. */
  events?: string[];
}

/** Options of {@link startFakeTogether}. */
export interface FakeTogetherOptions {
  /** The only API key accepted; default: any non-empty key. */
  apiKey?: string;
  /** The catalogue served by `/models`. */
  models?: readonly FakeModel[];
  /** Prompts containing this word trip the image safety checker (422). Default `nsfw`. */
  unsafeWord?: string;
  /** Keep JSON responses in the log (off for load runs). Default true. */
  logResponses?: boolean;
  /**
   * Answer image requests with URLs served by the fake, even when base64 was asked for. A string
   * is the origin the URLs name instead of the fake's own (a CDN stand-in that forwards to the fake).
   */
  imageUrls?: boolean | string;
  /** `noise` paints incompressible pixels, so PNGs are as large as real photos can get (for memory tests). */
  imageDetail?: 'gradient' | 'noise';
  /**
   * The clock of fine-tune jobs: `real` (default) follows the wall clock; `manual` stands still
   * until {@link FakeTogetherServer.advance} moves it.
   */
  clock?: 'real' | 'manual';
  /** Simulated time per phase of a fine-tune (pending, queued, each epoch, compressing, uploading, a cancel). Default 1000 ms. */
  fineTunePhaseMs?: number;
}

/** A running fake Together server. */
export interface FakeTogetherServer {
  /** Base URL including `/v1`, to use as the provider's `baseURL`. */
  baseURL: string;
  /** Every request so far. */
  requests: FakeRequest[];
  /** Adds a scripted fault. */
  addFault(fault: FakeFault): void;
  /** Removes all faults and forgets the request log (files and fine-tunes stay). */
  reset(): void;
  /** The fine-tune clock, in epoch milliseconds. */
  now(): number;
  /** Moves a `manual` clock forward (a `real` one cannot be moved: it throws). */
  advance(ms: number): void;
  /** Makes a fine-tune fail now, with `message` as its `job_error` event. */
  failFineTune(id: string, message?: string): void;
  close(): Promise<void>;
}

const envelope = (message: string, type: string, code: string | null = null, param: string | null = null) => ({ error: { message, type, param, code } });

/**
 * Starts a fake of the Together API on 127.0.0.1 (a free port). It serves `/v1/models`,
 * `/v1/chat/completions` (JSON and SSE), `/v1/images/generations` (base64 or URL, real JPEG/PNG),
 * `/v1/audio/speech` (WAV/MP3/raw), `/v1/voices`, `/v1/audio/transcriptions` (multipart) and
 * `/v1/embeddings`, with the live API's shapes, headers and error envelopes.
 */
export async function startFakeTogether(options: FakeTogetherOptions = {}): Promise<FakeTogetherServer> {
  const models = options.models ?? FAKE_MODELS;
  const faults: (FakeFault & { left: number })[] = [];
  const requests: FakeRequest[] = [];
  const images = new Map<string, { bytes: Uint8Array; type: string }>();
  let manualNow = Date.now();
  const now = options.clock === 'manual' ? () => manualNow : Date.now;
  const tunes = new FakeFineTunes(now, options.fineTunePhaseMs ?? 1000);
  /** Uploads started with `POST /files` and waiting for their bytes at the presigned URL. */
  const uploads = new Map<string, { id: string; filename: string; purpose: string; fileType: string }>();
  let origin = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, envelope(`fake: ${(error as Error).message}`, 'server_error'));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v1/, '');
    const body = await readBody(req);
    const entry: FakeRequest = {
      method: req.method ?? 'GET',
      path,
      query: Object.fromEntries(url.searchParams),
      headers: lowerHeaders(req),
      status: 200,
      remotePort: req.socket.remotePort ?? 0,
    };
    requests.push(entry);
    const type = req.headers['content-type'] ?? '';
    if (type.includes('application/json') && body.length > 0) {
      try {
        entry.json = JSON.parse(body.toString('utf8'));
      } catch {
        return send(entry, res, 400, envelope('Invalid JSON body', 'invalid_request_error'));
      }
    }
    let files: Record<string, Uint8Array> = {};
    if (type.includes('multipart/form-data')) ({ fields: entry.form, files } = await parseMultipart(body, type));
    // The SDK's upload flow posts its fields form-encoded, and repeats them in the query string.
    if (type.includes('application/x-www-form-urlencoded'))
      entry.form = { ...Object.fromEntries(url.searchParams), ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };

    const fault = faults.find((f) => f.left > 0 && (!f.path || path.startsWith(f.path)));
    if (fault) fault.left--;
    if (fault?.latencyMs) await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    if (fault?.reset) {
      entry.status = 0;
      req.socket.destroy();
      return;
    }
    if (fault?.status) {
      const error = envelope(
        fault.error?.message ?? `fake fault: status ${fault.status}`,
        fault.error?.type ?? (fault.status === 429 ? 'rate_limit_exceeded' : fault.status >= 500 ? 'server_error' : 'invalid_request_error'),
        fault.error?.code ?? null,
      );
      return send(entry, res, fault.status, fault.body ?? error, fault.headers);
    }

    if (path.startsWith('/_images/') && req.method === 'GET') {
      const image = images.get(path.slice('/_images/'.length));
      if (!image) return send(entry, res, 404, envelope('no such image', 'invalid_request_error'));
      res.writeHead(200, { 'content-type': image.type, 'content-length': image.bytes.length });
      res.end(image.bytes);
      return;
    }
    // The stand-in for the presigned storage URL of the SDK upload flow (NOTES §9.3): no Authorization, raw bytes.
    const upload = /^\/_uploads\/([^/]+)$/.exec(path);
    if (upload) {
      const pending = uploads.get(decodeURIComponent(upload[1]!));
      if (req.method !== 'PUT') return send(entry, res, 405, envelope('use PUT to upload to a presigned URL', 'invalid_request_error'));
      if (!pending) return send(entry, res, 404, envelope('no such upload (it was already used, or never made)', 'invalid_request_error', 'not_found'));
      uploads.delete(pending.id);
      tunes.addFile(pending.filename, pending.purpose, pending.fileType, new Uint8Array(body), pending.id);
      entry.status = 200;
      res.writeHead(200).end();
      return;
    }
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!auth || (options.apiKey !== undefined && auth !== options.apiKey)) {
      return send(
        entry,
        res,
        401,
        envelope('Invalid API key provided. You can find your API key at https://api.together.xyz/settings/api-keys.', 'invalid_request_error', 'invalid_api_key'),
      );
    }
    const operation = `${req.method} ${path}`;
    const refusal = refuseRequest(operation, entry.form ? typedFormFields(operation, entry.form) : (entry.json as Record<string, unknown> | undefined), String(type));
    if (refusal?.status === 400) return send(entry, res, 400, envelope(refusal.message, 'invalid_request_error', 'invalid_request', refusal.param));
    if (refusal) return send(entry, res, 501, envelope(refusal.message, 'not_implemented', 'not_implemented_by_fake'));
    const request = (entry.json ?? {}) as Record<string, unknown>;
    const find = (id: unknown, kinds: FakeModel['type'][]) => {
      const listed = models.find((m) => m.id === id && kinds.includes(m.type));
      if (listed || !kinds.includes('chat')) return listed;
      // A completed fine-tune's output serves chat (serverless LoRA), without being listed in /models.
      const trained = tunes.trainedModel(id);
      return trained ? ({ id: trained.outputName, type: 'chat' } as FakeModel) : undefined;
    };
    const unknownModel = (id: unknown) =>
      send(
        entry,
        res,
        404,
        envelope(
          `Unable to access model ${String(id)}. Please visit https://api.together.xyz to see the list of supported models or contact the owner to request access.`,
          'invalid_request_error',
          'model_not_found',
        ),
      );
    const id = `${randomBytes(8).toString('hex')}-FAK`;

    if (routeTraining(req.method ?? 'GET', path, entry, res, request, files)) return;

    switch (`${req.method} ${path}`) {
      case 'GET /models':
        return send(
          entry,
          res,
          200,
          models.map(({ dimensions: _d, voices: _v, ...m }) => ({
            ...m,
            object: 'model',
            created: 0,
            running: false,
            link: '',
            license: '',
            config: { chat_template: null, stop: [], bos_token: null, eos_token: null },
          })),
        );
      case 'GET /voices': {
        const listed = models.filter((m) => m.type === 'audio' && (!url.searchParams.get('model') || m.id === url.searchParams.get('model')));
        return send(entry, res, 200, { data: listed.map((m) => ({ model: m.id, voices: (m.voices ?? []).map((v) => ({ id: v, name: v })) })) });
      }
      case 'POST /chat/completions': {
        if (!find(request.model, ['chat', 'language', 'code'])) return unknownModel(request.model);
        const messages = Array.isArray(request.messages) ? (request.messages as { role: string; content: unknown }[]) : [];
        const prompt = String([...messages].reverse().find((m) => m.role === 'user')?.content ?? '');
        let said = `You said: ${prompt}`;
        const stops = typeof request.stop === 'string' ? [request.stop] : Array.isArray(request.stop) ? (request.stop as string[]) : [];
        let stopped = false;
        for (const stop of stops) {
          const at = said.indexOf(stop);
          if (stop !== '' && at !== -1) {
            said = said.slice(0, at);
            stopped = true;
          }
        }
        const words = said.split(/(?<=\s)/).filter((w) => w !== '');
        const max = typeof request.max_tokens === 'number' ? request.max_tokens : Infinity;
        const out = words.slice(0, max);
        const finish = words.length > max ? 'length' : stopped ? 'stop' : 'eos';
        const usage = { prompt_tokens: prompt.split(/\s+/).filter(Boolean).length + messages.length * 3, completion_tokens: out.length, total_tokens: 0 };
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        const created = Math.floor(Date.now() / 1000);
        const seed = typeof request.seed === 'number' ? request.seed : hash(prompt);
        if (request.stream === true) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-request-id': id, ...rateHeaders() });
          entry.events = [];
          const emit = (data: string) => {
            entry.events!.push(data);
            res.write(`data: ${data}\n\n`);
          };
          const chunk = (content: string, last: boolean, index: number) =>
            JSON.stringify({
              id,
              object: 'chat.completion.chunk',
              created,
              model: request.model,
              choices: [
                {
                  index: 0,
                  text: content,
                  logprobs: null,
                  finish_reason: last ? finish : null,
                  seed: last ? seed : null,
                  delta: { token_id: 1000 + index, role: 'assistant', content },
                },
              ],
              usage: last ? usage : null,
            });
          for (const [index, word] of out.entries()) {
            if (fault?.malformedEvent && index === Math.min(2, out.length - 1)) emit('{"id": "broken", "choices": [');
            if ((fault?.truncateStream || fault?.streamError) && index === Math.min(2, out.length - 1)) {
              if (fault.streamError)
                emit(JSON.stringify({ error: { message: fault.streamError.message, type: fault.streamError.type ?? 'server_error', code: fault.streamError.code ?? null } }));
              res.end();
              return;
            }
            emit(chunk(word, index === out.length - 1, index));
            await new Promise((resolve) => setImmediate(resolve));
          }
          emit('[DONE]');
          res.end();
          return;
        }
        return send(
          entry,
          res,
          200,
          {
            id,
            object: 'chat.completion',
            created,
            model: request.model,
            prompt: [],
            choices: [{ index: 0, finish_reason: finish, seed, logprobs: null, message: { role: 'assistant', content: out.join('') } }],
            usage,
          },
          { 'x-request-id': id, ...rateHeaders() },
        );
      }
      case 'POST /images/generations': {
        if (!find(request.model, ['image'])) return unknownModel(request.model);
        const prompt = String(request.prompt ?? '');
        const width = Number(request.width ?? 1024),
          height = Number(request.height ?? 1024),
          n = Number(request.n ?? 1);
        if (![width, height].every((v) => Number.isInteger(v) && v >= 64 && v <= 2048) || !(n >= 1 && n <= 4)) {
          return send(entry, res, 400, envelope(`width and height must be 64 to 2048 and n 1 to 4 (got ${width}×${height}, n=${n})`, 'invalid_request_error'));
        }
        if (prompt.toLowerCase().includes(options.unsafeWord ?? 'nsfw') && request.disable_safety_checker !== true) {
          return send(
            entry,
            res,
            422,
            envelope('Your request was flagged by the safety checker as potentially NSFW content. Please modify your prompt.', 'invalid_request_error', 'nsfw_content'),
          );
        }
        const format = request.output_format === 'png' ? 'png' : 'jpeg';
        // A LoRA changes the picture: its path and scale are part of what is painted.
        const loras = Array.isArray(request.image_loras) ? (request.image_loras as { path: string; scale: number }[]).map((l) => `${l.path}@${l.scale}`).join(',') : '';
        const seed = (typeof request.seed === 'number' ? request.seed : hash(prompt)) + (loras ? hash(loras) : 0);
        const data = Array.from({ length: n }, (_, index) => {
          const whole = fakeImage(prompt, seed + index, width, height, format, options.imageDetail ?? 'gradient');
          const bytes = fault?.truncateImageTo === undefined ? whole : whole.subarray(0, fault.truncateImageTo);
          if (!options.imageUrls && request.response_format === 'base64') {
            return { index, type: 'b64_json', b64_json: Buffer.from(bytes).toString('base64'), timings: { inference: 0.01 } };
          }
          const name = `${id}-${index}.${format === 'png' ? 'png' : 'jpg'}`;
          images.set(name, { bytes, type: `image/${format}` });
          return { index, type: 'url', url: `${typeof options.imageUrls === 'string' ? options.imageUrls : origin}/v1/_images/${name}`, timings: { inference: 0.01 } };
        });
        return send(entry, res, 200, { id, model: request.model, object: 'list', data }, { 'x-request-id': id });
      }
      case 'POST /audio/speech': {
        const model = find(request.model, ['audio']);
        if (!model) return unknownModel(request.model);
        if (typeof request.input !== 'string' || typeof request.voice !== 'string') return send(entry, res, 400, envelope('input and voice are required', 'invalid_request_error'));
        if (!(model.voices ?? []).includes(request.voice))
          return send(entry, res, 400, envelope(`Voice ${request.voice} is not available for ${model.id}`, 'invalid_request_error', 'invalid_voice'));
        const rate = Number(request.sample_rate ?? 44_100);
        const format = request.response_format ?? 'wav';
        const [bytes, contentType] =
          format === 'mp3'
            ? [fakeMp3(request.input.length * 0.05), 'audio/mpeg']
            : format === 'raw'
              ? [request.response_encoding === 'pcm_s16le' ? fakeRawPcm(request.input, rate) : toFloat32(fakeRawPcm(request.input, rate)), 'application/octet-stream']
              : [fakeWav(request.input, rate), 'audio/wav'];
        res.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length, 'x-request-id': id });
        res.end(bytes);
        return;
      }
      case 'POST /audio/transcriptions': {
        const model = entry.form?.model ?? 'openai/whisper-large-v3';
        if (!find(model, ['transcribe'])) return unknownModel(model);
        const audio = files.file;
        if (!audio) return send(entry, res, 400, envelope('file is required', 'invalid_request_error'));
        const text = textOfFakeWav(audio) ?? `[${audio.length} bytes of audio]`;
        if (entry.form?.response_format === 'verbose_json') {
          const duration = audio.length / 2 / 16_000;
          const language = typeof entry.form.language === 'string' ? entry.form.language : 'en';
          return send(entry, res, 200, { task: 'transcribe', language, duration, text, segments: [{ id: 0, start: 0, end: duration, text }] }, { 'x-request-id': id });
        }
        return send(entry, res, 200, { text }, { 'x-request-id': id });
      }
      case 'POST /embeddings': {
        const model = find(request.model, ['embedding']);
        if (!model) return unknownModel(request.model);
        const inputs = Array.isArray(request.input) ? request.input : [request.input];
        if (inputs.length === 0 || inputs.some((i) => typeof i !== 'string'))
          return send(entry, res, 400, envelope('input must be a string or an array of strings', 'invalid_request_error'));
        return send(
          entry,
          res,
          200,
          { object: 'list', model: model.id, data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(String(text), model.dimensions ?? 768) })) },
          { 'x-request-id': id },
        );
      }
      default:
        return send(entry, res, 404, envelope(`Unknown route ${req.method} /v1${path}`, 'invalid_request_error', 'not_found'));
    }
  }

  /** Files and fine-tunes: whether the request was one of theirs (and has been answered). */
  function routeTraining(method: string, path: string, entry: FakeRequest, res: ServerResponse, request: Record<string, unknown>, files: Record<string, Uint8Array>): boolean {
    const notFound = (what: string) => send(entry, res, 404, envelope(`${what} not found`, 'invalid_request_error', 'not_found'));
    // A route of the API this fake does not simulate: 501, never a guess.
    const notSimulated = (m: string, p: string): true => {
      send(entry, res, 501, envelope(`fake Together: ${m} /v1${p} is not simulated by this fake`, 'not_implemented', 'not_implemented_by_fake'));
      return true;
    };
    if (method === 'POST' && path === '/files/upload') {
      const form = entry.form ?? {};
      const content = files.file!;
      const file = tunes.addFile(String(form.file_name), String(form.purpose), typeof form.file_type === 'string' ? form.file_type : 'jsonl', content);
      send(entry, res, 200, tunes.fileObject(file));
      return true;
    }
    if (method === 'POST' && path === '/files') {
      // The official SDKs' upload: a 302 to a presigned URL, with the file's id (NOTES §9.3).
      const form = (entry.form ?? {}) as Record<string, string>;
      const problem = !form.file_name ? 'file_name is required' : !form.purpose ? 'purpose is required' : undefined;
      if (problem) {
        send(entry, res, 400, envelope(problem, 'invalid_request_error', 'invalid_request'));
        return true;
      }
      const id = `file-${randomUUID()}`;
      uploads.set(id, { id, filename: form.file_name!.split('/').pop()!, purpose: form.purpose!, fileType: form.file_type || 'jsonl' });
      entry.status = 302;
      res.writeHead(302, { location: `${origin}/v1/_uploads/${id}`, 'x-together-file-id': id, 'content-length': 0 }).end();
      return true;
    }
    if (method === 'GET' && path === '/files') {
      send(entry, res, 200, { data: [...tunes.files.values()].map((f) => tunes.fileObject(f)) });
      return true;
    }
    const fileRoute = /^\/files\/([^/]+)(\/content|\/preprocess)?$/.exec(path);
    if (fileRoute && fileRoute[1] !== 'upload') {
      const part = fileRoute[2];
      const simulated = (method === 'GET' && part !== '/preprocess') || (method === 'DELETE' && !part) || (method === 'POST' && part === '/preprocess');
      if (!simulated) return notSimulated(method, path);
      const file = tunes.files.get(decodeURIComponent(fileRoute[1]!));
      if (!file) notFound(`File ${fileRoute[1]}`);
      else if (method === 'GET' && part === '/content') {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': file.content.byteLength });
        res.end(file.content);
      } else if (method === 'GET' || part === '/preprocess') send(entry, res, 200, tunes.fileObject(file));
      else {
        tunes.files.delete(file.id);
        send(entry, res, 200, { id: file.id, object: 'file', deleted: true });
      }
      return true;
    }
    if (method === 'GET' && path === '/fine-tunes/models/supported') {
      send(entry, res, 200, { models: fineTunable() });
      return true;
    }
    if (method === 'GET' && path === '/fine-tunes/models/limits') {
      const name = entry.query.model_name ?? entry.query.model ?? '';
      if (!fineTunable().includes(name)) send(entry, res, 404, { message: `model ${name} is not available for fine-tuning` });
      else
        send(entry, res, 200, {
          model_name: name,
          lora_training: { max_batch_size: 32, max_batch_size_dpo: 16, min_batch_size: 8, max_rank: 64, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj'] },
          max_num_epochs: 20,
          max_num_evals: 10,
          max_learning_rate: 1,
          min_learning_rate: 0,
          supports_vision: false,
          supports_tools: false,
          supports_reasoning: false,
          merge_output_lora: false,
        });
      return true;
    }
    if (method === 'POST' && path === '/fine-tunes') {
      const problem =
        (!tunes.files.has(String(request.training_file)) && `training_file ${String(request.training_file)} does not exist; upload it with POST /files/upload first`) ||
        (typeof request.validation_file === 'string' && !tunes.files.has(request.validation_file) && `validation_file ${request.validation_file} does not exist`) ||
        (!fineTunable().includes(String(request.model)) &&
          `Model ${String(request.model)} is not supported for fine-tuning; GET /fine-tunes/models/supported lists the models that are`);
      if (problem) {
        send(entry, res, 400, envelope(problem, 'invalid_request_error', 'invalid_request'));
        return true;
      }
      send(entry, res, 200, tunes.object(tunes.create(request, String(request.model)), true));
      return true;
    }
    if (method === 'GET' && path === '/fine-tunes') {
      send(entry, res, 200, { data: [...tunes.jobs.values()].map((j) => tunes.object(j, true)) });
      return true;
    }
    const jobRoute = /^\/fine-tunes\/([^/]+)(?:\/(events|checkpoints|cancel))?$/.exec(path);
    if (jobRoute && jobRoute[1] !== 'estimate-price' && jobRoute[1] !== 'models') {
      const job = tunes.jobs.get(decodeURIComponent(jobRoute[1]!));
      const part = jobRoute[2];
      const simulated = (method === 'GET' && part !== 'cancel') || (method === 'POST' && part === 'cancel');
      if (!simulated) return notSimulated(method, path);
      if (!job) notFound(`Fine-tune job ${jobRoute[1]}`);
      else if (method === 'GET' && !part) send(entry, res, 200, tunes.object(job, false));
      else if (method === 'GET' && part === 'events') send(entry, res, 200, { data: tunes.events(job) });
      else if (method === 'GET' && part === 'checkpoints') send(entry, res, 200, { data: tunes.checkpoints(job) });
      else if (method === 'POST' && part === 'cancel') {
        if (tunes.isFinal(job) || job.cancelRequestedMs !== undefined) {
          send(entry, res, 400, envelope(`Job ${job.id} is ${tunes.status(job)} and cannot be cancelled`, 'invalid_request_error', 'invalid_request'));
        } else {
          job.cancelRequestedMs = now();
          send(entry, res, 200, tunes.object(job, true));
        }
      }
      return true;
    }
    if (path.startsWith('/fine-tunes') || path.startsWith('/finetune') || path.startsWith('/files')) return notSimulated(method, path);
    return false;
  }

  /** The base models fine-tunes accept: the chat and language models of the catalogue, and those of the API description's examples. */
  function fineTunable(): string[] {
    return [...new Set([...models.filter((m) => ['chat', 'language', 'code'].includes(m.type)).map((m) => m.id), ...FINE_TUNABLE_EXAMPLES])];
  }

  function send(entry: FakeRequest, res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
    entry.status = status;
    if (options.logResponses !== false) entry.response = body;
    json(res, status, body, headers);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseURL: `${origin}/v1`,
    requests,
    addFault: (fault) => {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    reset: () => {
      faults.length = 0;
      requests.length = 0;
    },
    now,
    advance: (ms) => {
      if (options.clock !== 'manual') throw new Error('fake Together: advance() needs startFakeTogether({ clock: "manual" })');
      manualNow += ms;
    },
    failFineTune: (id, message = 'Training failed: the job ran out of memory (simulated)') => {
      const job = tunes.jobs.get(id);
      if (!job) throw new Error(`fake Together: no fine-tune ${id}`);
      job.failure = { atMs: now(), message };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function rateHeaders(): Record<string, string> {
  return { 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '9', 'x-ratelimit-reset': '1', 'x-tokenlimit-limit': '3000', 'x-tokenlimit-remaining': '2990' };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function lowerHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') out[name] = name === 'authorization' ? value.replace(/^(Bearer ).+$/, '$1***') : value;
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function parseMultipart(body: Buffer, contentType: string): Promise<{ fields: NonNullable<FakeRequest['form']>; files: Record<string, Uint8Array> }> {
  const form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
  const fields: NonNullable<FakeRequest['form']> = {};
  const files: Record<string, Uint8Array> = {};
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') fields[name] = value;
    else {
      files[name] = new Uint8Array(await value.arrayBuffer());
      fields[name] = { fileName: value.name, type: value.type, size: value.size };
    }
  }
  return { fields, files };
}

/** 16-bit PCM as 32-bit float PCM (the API's default raw encoding, `pcm_f32le`). */
function toFloat32(pcm: Uint8Array): Uint8Array {
  const samples = Math.floor(pcm.byteLength / 2);
  const view = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const out = new DataView(new ArrayBuffer(samples * 4));
  for (let i = 0; i < samples; i++) out.setFloat32(i * 4, view.getInt16(i * 2, true) / 32768, true);
  return new Uint8Array(out.buffer);
}
