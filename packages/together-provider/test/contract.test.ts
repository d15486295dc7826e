import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '@mediaconduit/core';
import { createTogether } from '../src/index.js';
import { startFakeTogether, type FakeRequest, type FakeTogetherServer } from '../src/testing/index.js';
import { OPENAPI_PATH, openApiValidators } from './openapi-schemas.js';
// @ts-expect-error: a plain .mjs script without types
import { buildRequestSchemas } from '../scripts/openapi-requests.mjs';

// The one documented deviation (NOTES.md §2): the live GET /models also lists `audio` (speech)
// and `transcribe` (speech-to-text) models, which the description's ModelInfo.type enum lacks.
const { forOperation, byName, errorsText } = openApiValidators((doc) => {
  const type = (doc.components.schemas.ModelInfo!.properties as Record<string, { enum: string[] }>).type!;
  type.enum = [...type.enum, 'audio', 'transcribe'];
});

let fake: FakeTogetherServer;
let log: FakeRequest[];

beforeAll(async () => {
  fake = await startFakeTogether({ clock: 'manual' });
  const together = createTogether({ createHttpClient, apiKey: 'contract-key', baseURL: fake.baseURL, logger: { debug() {}, warn() {}, error() {} } });
  await together.listModels();
  const chat = await together.getModel('meta-llama/Llama-3.3-70B-Instruct-Turbo', { capability: 'text-to-text' });
  await chat.transform(
    [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hello' },
    ],
    { temperature: 0.5, topP: 0.9, maxTokens: 20, stop: ['\n\n'], seed: 3 },
  );
  // Valid for the API, not simulated by the fake: a 501, and the request still checked against its schema.
  await chat.transform('structured', { responseFormat: { type: 'json_schema', name: 'answer', schema: { type: 'object' } } }).catch(() => {});
  for await (const _ of chat.stream('stream me', { maxTokens: 10 })) {
    /* drain */
  }
  const flux = await together.getModel('black-forest-labs/FLUX.1-schnell', { capability: 'text-to-image' });
  await flux.transformMany('a lake', {
    n: 2,
    width: 256,
    height: 256,
    steps: 4,
    seed: 1,
    negativePrompt: 'fog',
    adapters: [{ path: 'https://huggingface.co/acme/lora', scale: 0.8 }],
  });
  await flux.transform('nsfw thing').catch(() => {});
  const sonic = await together.getModel('cartesia/sonic', { capability: 'text-to-audio' });
  const speech = await sonic.transform('Hello there', { format: 'wav', sampleRate: 24000, language: 'en' });
  await sonic.transform('Hello there', { format: 'mp3' });
  await sonic.transform('Hello there', { format: 'raw', sampleRate: 16000 });
  const whisper = await together.getModel('openai/whisper-large-v3', { capability: 'audio-to-text' });
  await whisper.transform(speech, { language: 'en', prompt: 'greeting', temperature: 0 });
  const bge = await together.getModel('BAAI/bge-base-en-v1.5', { capability: 'text-to-embedding' });
  await bge.transform('one');
  await bge.transformMany(['one', 'two']);
  fake.addFault({ path: '/embeddings', status: 429, error: { message: 'Request was rejected due to request rate limiting.', type: 'credit_limit' } });
  await bge.transform('limited').catch(() => {});
  // Files and fine-tunes, the whole lifecycle on the fake's manual clock.
  const folder = mkdtempSync(join(tmpdir(), 'mc-contract-'));
  const data = join(folder, 'train.jsonl');
  writeFileSync(
    data,
    `${JSON.stringify({
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
      ],
    })}\n`,
  );
  const uploaded = await together.trainingFiles!.upload(data);
  await together.trainingFiles!.list();
  await together.trainingFiles!.delete(uploaded.id);
  const job = await together.createTrainingJob!({ baseModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', data, epochs: 2, suffix: 'contract' });
  fake.advance(60_000);
  await job.status();
  await job.events();
  await job.checkpoints();
  await together.listTrainingJobs!();
  const second = await together.createTrainingJob!({ baseModel: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', data });
  await second.cancel();
  rmSync(folder, { recursive: true, force: true });
  log = [...fake.requests];
});
afterAll(() => fake.close());

/** Validates `value` with the operation's schema; returns a readable failure or undefined. */
function check(label: string, validate: ReturnType<typeof byName>, value: unknown): string | undefined {
  return validate(value) ? undefined : `${label}:\n${errorsText(validate)}`;
}

describe('contract: the client and the fake against openapi.yaml', () => {
  it('uses the same description as the workspace', () => {
    const vendored = readFileSync(OPENAPI_PATH, 'utf8');
    expect(vendored).toMatch(/^openapi: 3\.1\.0$/m);
    const shared = new URL('../../../../shared/together-api/openapi.yaml', import.meta.url);
    if (existsSync(shared))
      expect(vendored === readFileSync(shared, 'utf8'), 'the vendored openapi.yaml differs from ../shared/together-api/openapi.yaml: copy it again').toBe(true);
  });

  it('exercised every operation', () => {
    expect(new Set(log.map((r) => `${r.method} ${template(r.path)}`))).toEqual(
      new Set([
        'GET /models',
        'POST /chat/completions',
        'POST /images/generations',
        'GET /voices',
        'POST /audio/speech',
        'POST /audio/transcriptions',
        'POST /embeddings',
        'POST /files/upload',
        'GET /files',
        'DELETE /files/{id}',
        'POST /fine-tunes',
        'GET /fine-tunes',
        'GET /fine-tunes/{id}',
        'GET /fine-tunes/{id}/events',
        'GET /fine-tunes/{id}/checkpoints',
        'POST /fine-tunes/{id}/cancel',
      ]),
    );
  });

  it("the fake's request schemas are current with the vendored description", () => {
    const current = JSON.parse(readFileSync(new URL('../src/testing/openapi-requests.json', import.meta.url), 'utf8'));
    expect(current, 'run node packages/together-provider/scripts/openapi-requests.mjs').toEqual(buildRequestSchemas());
  });

  it('every request the client sent matches its request schema', () => {
    const problems = log
      .flatMap((r) => {
        const label = `${r.method} ${r.path} request ${JSON.stringify(r.json ?? r.form ?? r.query).slice(0, 200)}`;
        if (r.method === 'GET' || r.method === 'DELETE' || r.path.endsWith('/cancel')) return [];
        if (r.form) {
          const fields = Object.fromEntries(Object.entries(r.form).map(([k, v]) => [k, typeof v === 'string' ? (k === 'temperature' ? Number(v) : v) : '<binary>']));
          return [check(label, forOperation('POST', r.path, 'request', 'multipart/form-data'), fields)];
        }
        return [check(label, forOperation('POST', r.path, 'request'), r.json)];
      })
      .filter(Boolean);
    expect(problems).toEqual([]);
  });

  it('every JSON response and stream chunk of the fake matches its response schema', () => {
    const problems = log
      .flatMap((r) => {
        const label = `${r.method} ${r.path} → ${r.status}`;
        if (r.events) {
          return r.events.filter((e) => e !== '[DONE]').map((e) => check(`${label} chunk`, byName('ChatCompletionChunk'), JSON.parse(e)));
        }
        if (r.response === undefined) return [];
        const schema = r.status === 200 ? forOperation(r.method, template(r.path), '200') : byName('ErrorData');
        return [check(`${label} ${JSON.stringify(r.response).slice(0, 200)}`, schema, r.response)];
      })
      .filter(Boolean);
    expect(problems).toEqual([]);
    expect(
      log
        .filter((r) => r.status !== 200)
        .map((r) => r.status)
        .sort(),
    ).toEqual([422, 429, 501]);
  });

  it('speech answers carry a content type the description lists', () => {
    const listed = Object.keys(forOperationContent('/audio/speech'));
    const speech = log.filter((r) => r.path === '/audio/speech');
    expect(speech).toHaveLength(3);
    for (const r of speech) expect(r.status).toBe(200);
    expect(listed).toEqual(expect.arrayContaining(['audio/wav', 'audio/mpeg', 'application/octet-stream']));
  });
});

/** The description's path template of a concrete path. */
function template(path: string): string {
  return path.replace(/^\/(files|fine-tunes)\/(?!upload$)[^/]+/, '/$1/{id}');
}

function forOperationContent(path: string): Record<string, unknown> {
  const { doc } = openApiValidators();
  return doc.paths[path]!.post!.responses['200']!.content!;
}
