// The fake Together server is not lenient: requests are checked against the description (400 with
// the real error envelope), and what it does not simulate is refused plainly (501), never answered
// as if it had been honoured. Raw HTTP, as any client would send it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeTogether, type FakeTogetherServer } from '../src/testing/index.js';

let fake: FakeTogetherServer;
beforeAll(async () => {
  fake = await startFakeTogether();
});
afterAll(() => fake.close());

async function post(
  path: string,
  body: unknown,
): Promise<{ status: number; json: { error?: { message: string; type: string; code: string | null; param: string | null } } & Record<string, unknown>; bytes: number }> {
  const response = await fetch(`${fake.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const buffer = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, json: type.includes('json') ? JSON.parse(buffer.toString('utf8')) : {}, bytes: buffer.length };
}

const FLUX = 'black-forest-labs/FLUX.1-schnell';
const CHAT = 'meta-llama/Llama-3.3-70B-Instruct-Turbo';

describe('the fake checks requests against openapi.yaml', () => {
  it('refuses values the description refuses, with the error envelope', async () => {
    const b64 = await post('/images/generations', { model: FLUX, prompt: 'x', response_format: 'b64_json' });
    expect(b64.status).toBe(400);
    expect(b64.json.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'response_format',
      message: expect.stringContaining('response_format must be equal to one of the allowed values: "base64", "url"'),
    });
    const noMessages = await post('/chat/completions', { model: CHAT });
    expect(noMessages.status).toBe(400);
    expect(noMessages.json.error?.message).toContain("must have required property 'messages'");
    const badType = await post('/embeddings', { model: 'BAAI/bge-base-en-v1.5', input: 5 });
    expect(badType.status).toBe(400);
    const badLora = await post('/fine-tunes', { training_file: 'file-x', model: CHAT, training_type: { type: 'Lora' } });
    expect(badLora.status).toBe(400);
    expect(badLora.json.error?.message).toMatch(/lora_r/);
  });

  it.each([
    ['/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'function', function: { name: 'f' } }] }, 'tools'],
    ['/chat/completions', { model: CHAT, messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } }, 'response_format'],
    ['/images/generations', { model: FLUX, prompt: 'x', image_url: 'https://example.invalid/in.png' }, 'image_url'],
    ['/audio/speech', { model: 'cartesia/sonic', input: 'x', voice: 'laidback woman', stream: true }, 'stream'],
    ['/audio/speech', { model: 'cartesia/sonic', input: 'x', voice: 'laidback woman', response_format: 'raw', response_encoding: 'pcm_mulaw' }, 'response_encoding="pcm_mulaw"'],
  ])('says plainly what it does not simulate: %s %j', async (path, body, field) => {
    const answer = await post(path, body);
    expect(answer.status).toBe(501);
    expect(answer.json.error).toMatchObject({
      type: 'not_implemented',
      code: 'not_implemented_by_fake',
      message: expect.stringContaining(`${field} is valid for POST ${path} but not simulated`),
    });
  });

  it('honours response_encoding: raw speech is 32-bit float by default and 16-bit when asked', async () => {
    const base = { model: 'cartesia/sonic', input: 'hello', voice: 'laidback woman', response_format: 'raw', sample_rate: 8000 };
    const f32 = await post('/audio/speech', base);
    const s16 = await post('/audio/speech', { ...base, response_encoding: 'pcm_s16le' });
    expect(f32.status).toBe(200);
    expect(s16.status).toBe(200);
    expect(f32.bytes).toBe(s16.bytes * 2);
  });

  it('honours verbose_json transcriptions', async () => {
    const speech = await fetch(`${fake.baseURL}/audio/speech`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'cartesia/sonic', input: 'verbose please', voice: 'laidback woman', response_format: 'wav' }),
    });
    const form = new FormData();
    form.append('file', new Blob([await speech.arrayBuffer()], { type: 'audio/wav' }), 'a.wav');
    form.append('model', 'openai/whisper-large-v3');
    form.append('response_format', 'verbose_json');
    const answer = await fetch(`${fake.baseURL}/audio/transcriptions`, { method: 'POST', headers: { authorization: 'Bearer k' }, body: form });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({
      task: 'transcribe',
      text: 'verbose please',
      duration: expect.any(Number),
      segments: [{ id: 0, start: 0, text: 'verbose please' }],
    });
  });

  it('answers routes it does not simulate with 501, not as if they had worked', async () => {
    const price = await post('/fine-tunes/estimate-price', { training_file: 'file-x', model: CHAT });
    expect(price.status).toBe(501);
    expect(price.json.error?.message).toContain('is not simulated by this fake');
  });
});
