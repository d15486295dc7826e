// The fake fal server is held faithful by fal's own client (@fal-ai/client, pinned), pointed at it
// through the client's documented `fetch` option: what the client sends, the fake must accept, and
// what the fake answers, the client must read as it reads fal.
import { ApiError, createFalClient, ValidationError } from '@fal-ai/client';
import { readImageInfo } from '@mediaconduit/provider';
import { checkJpeg, checkPng } from '@mediaconduit/testing';
import { unzipSync, zipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeFalServer, startFakeFal } from '../src/testing/index.js';

let fake: FakeFalServer;
let fal: ReturnType<typeof createFalClient>;

beforeEach(async () => {
  fake = await startFakeFal({ clock: 'manual', queueAhead: 2, timings: { queuePositionMs: 100, inferenceMs: 200, trainingMs: 1000 } });
  fal = createFalClient({ credentials: fake.key, fetch: fake.fetch, suppressLocalCredentialsWarning: true });
});

afterEach(async () => {
  await fake.close();
});

/** A zip of `count` small PNGs (with a caption for the first), as a trainer takes it. */
function trainingZip(count: number): Uint8Array {
  const png = Buffer.from('89504e470d0a1a0a', 'hex'); // the trainer fake counts names, not pixels
  const entries: Record<string, Uint8Array> = {};
  for (let i = 0; i < count; i++) entries[`photo-${i}.png`] = png;
  entries['photo-0.txt'] = new TextEncoder().encode('a photo of TOK');
  return zipSync(entries);
}

describe('the fake fal server, driven by @fal-ai/client', () => {
  it('submits to the queue, reports IN_QUEUE with its position, IN_PROGRESS with logs, COMPLETED, and serves the result', async () => {
    const submitted = await fal.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'a red fox', image_size: 'square', output_format: 'png' } });
    expect(submitted).toMatchObject({ status: 'IN_QUEUE', queue_position: 2 });
    const requestId = submitted.request_id;
    // The client sends its own headers, which the fake accepts and ignores.
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', service: 'queue', path: '/fal-ai/flux/schnell', status: 200 });
    expect(fake.requests.at(-1)!.headers['x-fal-queue-priority']).toBe('normal');
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Key ${fake.key}`);

    expect(await fal.queue.status('fal-ai/flux/schnell', { requestId, logs: true })).toMatchObject({ status: 'IN_QUEUE', queue_position: 2 });
    fake.advance(100);
    expect(await fal.queue.status('fal-ai/flux/schnell', { requestId, logs: true })).toMatchObject({ status: 'IN_QUEUE', queue_position: 1 });
    // Status and result name owner/app only: the client strips "/schnell" itself.
    expect(fake.requests.at(-1)!.path).toBe(`/fal-ai/flux/requests/${requestId}/status`);
    fake.advance(250);
    const running = await fal.queue.status('fal-ai/flux/schnell', { requestId, logs: true });
    expect(running.status).toBe('IN_PROGRESS');
    expect(running.status === 'IN_PROGRESS' && running.logs.map((l) => l.message)).toEqual(['Starting fal-ai/flux/schnell']);
    // The result is not there before the request completes.
    await expect(fal.queue.result('fal-ai/flux/schnell', { requestId })).rejects.toMatchObject({ status: 400 });
    fake.advance(200);
    const done = await fal.queue.status('fal-ai/flux/schnell', { requestId, logs: false });
    expect(done).toMatchObject({ status: 'COMPLETED', metrics: { inference_time: 0.2 }, logs: [] });
    expect(fake.requests.at(-1)!.status).toBe(200);

    const result = await fal.queue.result('fal-ai/flux/schnell', { requestId });
    expect(result.requestId).toBe(requestId);
    const image = (result.data as { images: { url: string; width: number; height: number; content_type: string }[] }).images[0]!;
    expect(image).toMatchObject({ width: 512, height: 512, content_type: 'image/png' });
    const bytes = new Uint8Array(await (await fetch(image.url)).arrayBuffer());
    expect(checkPng(bytes)).toBeUndefined(); // whole, every chunk's CRC right
    expect(readImageInfo(bytes)).toMatchObject({ mimeType: 'image/png', width: 512, height: 512 });
  });

  it('subscribes (submit, poll, result) and runs synchronously, with JPEG bytes of the asked size', async () => {
    const updates: string[] = [];
    const polling = fal.subscribe('fal-ai/flux/dev', {
      input: { prompt: 'a lighthouse', image_size: { width: 320, height: 240 } },
      pollInterval: 5,
      onQueueUpdate: (status) => {
        updates.push(status.status);
        fake.advance(150); // each poll sees the clock move: a bounded number of polls
      },
    });
    const result = await polling;
    expect(updates[0]).toBe('IN_QUEUE');
    expect(updates).toContain('IN_PROGRESS');
    const image = (result.data as { images: { url: string; width: number; height: number; content_type: string }[] }).images[0]!;
    expect(image).toMatchObject({ width: 320, height: 240, content_type: 'image/jpeg' });
    const jpeg = new Uint8Array(await (await fetch(image.url)).arrayBuffer());
    expect(checkJpeg(jpeg)).toBeUndefined();
    expect(readImageInfo(jpeg)).toMatchObject({ mimeType: 'image/jpeg', width: 320, height: 240 });

    const run = await fal.run('fal-ai/flux/schnell', { input: { prompt: 'a cat', image_size: 'square', sync_mode: true, output_format: 'png' } });
    const inline = (run.data as { images: { url: string }[] }).images[0]!.url;
    expect(inline.startsWith('data:image/png;base64,')).toBe(true);
    expect(fake.requests.at(-1)).toMatchObject({ service: 'run', path: '/fal-ai/flux/schnell', status: 200 });
  });

  it('answers bad input with a 422 detail array the client turns into a ValidationError with field errors', async () => {
    const failure = await fal.queue.submit('fal-ai/flux/schnell', { input: { image_size: 'huge', num_inference_steps: 40 } as never }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ValidationError);
    const errors = (failure as ValidationError).fieldErrors;
    expect(errors.map((e) => [e.loc.join('.'), e.type])).toEqual([
      ['body.prompt', 'missing'],
      ['body.image_size', 'enum'],
      ['body.num_inference_steps', 'less_than_equal'],
    ]);
    // A wrong key is refused before anything else.
    const stranger = createFalClient({ credentials: 'someone:else', fetch: fake.fetch, suppressLocalCredentialsWarning: true });
    await expect(stranger.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'x' } })).rejects.toMatchObject({
      status: 401,
      body: { detail: 'No user found for Key ID and Secret' },
    });
  });

  it('cancels: 202 while queued (then COMPLETED as cancelled), 400 once completed, 404 for an unknown id', async () => {
    const { request_id: queued } = await fal.queue.submit('fal-ai/flux/dev', { input: { prompt: 'to cancel' } });
    await fal.queue.cancel('fal-ai/flux/dev', { requestId: queued });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/fal-ai/flux/requests/${queued}/cancel`, status: 202 });
    expect(await fal.queue.status('fal-ai/flux/dev', { requestId: queued })).toMatchObject({ status: 'COMPLETED', error: 'Request cancelled', error_type: 'client_cancelled' });
    const cancelled = await fal.queue.result('fal-ai/flux/dev', { requestId: queued }).catch((e: unknown) => e);
    expect(cancelled).toBeInstanceOf(ApiError);
    expect(cancelled).toMatchObject({ status: 499, body: { error_type: 'client_cancelled' } });

    const { request_id: finished } = await fal.queue.submit('fal-ai/flux/dev', { input: { prompt: 'to finish' } });
    fake.advance(10_000);
    await expect(fal.queue.cancel('fal-ai/flux/dev', { requestId: finished })).rejects.toMatchObject({ status: 400, body: { status: 'ALREADY_COMPLETED' } });
    await expect(fal.queue.cancel('fal-ai/flux/dev', { requestId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      status: 404,
      body: { status: 'NOT_FOUND' },
    });
  });

  it('uploads through storage (initiate, then PUT to the URL it hands out) and trains a LoRA from the zip', async () => {
    const zip = trainingZip(5);
    const url = await fal.storage.upload(new Blob([zip], { type: 'application/zip' }));
    const initiate = fake.requests.find((r) => r.service === 'rest')!;
    expect(initiate).toMatchObject({ method: 'POST', path: '/storage/upload/initiate', query: { storage_type: 'fal-cdn-v3' }, status: 200 });
    expect(initiate.json).toMatchObject({ content_type: 'application/zip' });
    const put = fake.requests.find((r) => r.service === 'upload')!;
    expect(put).toMatchObject({ method: 'PUT', status: 200 });
    expect(put.headers.authorization).toBeUndefined(); // the signed URL needs no key
    expect(Object.keys(unzipSync(fake.file(url)!.bytes))).toHaveLength(6);

    const { request_id: requestId } = await fal.queue.submit('fal-ai/flux-lora-fast-training', {
      input: { images_data_url: url, trigger_word: 'TOK', steps: 500, is_style: false, create_masks: true },
    });
    fake.advance(300 + 600); // out of the queue, and 60 % of the run
    const running = await fal.queue.status('fal-ai/flux-lora-fast-training', { requestId, logs: true });
    expect(running.status === 'IN_PROGRESS' && running.logs.map((l) => l.message)).toEqual([
      'Starting fal-ai/flux-lora-fast-training',
      'step 50/500',
      'step 100/500',
      'step 150/500',
      'step 200/500',
      'step 250/500',
      'step 300/500',
    ]);
    fake.advance(400);
    const { data } = await fal.queue.result('fal-ai/flux-lora-fast-training', { requestId });
    const lora = (data as { diffusers_lora_file: { url: string; file_name: string; file_size: number }; config_file: { url: string } }).diffusers_lora_file;
    expect(lora.file_name).toBe('pytorch_lora_weights.safetensors');
    const weights = new Uint8Array(await (await fetch(lora.url)).arrayBuffer());
    expect(weights.byteLength).toBe(lora.file_size);
    // A real safetensors file: its header carries the trigger word.
    const headerLength = Number(Buffer.from(weights).readBigUInt64LE(0));
    expect(JSON.parse(Buffer.from(weights.subarray(8, 8 + headerLength)).toString('utf8')).__metadata__).toMatchObject({ trigger_word: 'TOK', steps: '500' });

    // The trained LoRA generates through flux-lora; a LoRA the fake never stored cannot be downloaded.
    const generated = await fal.run('fal-ai/flux-lora', { input: { prompt: 'TOK on a beach', loras: [{ path: lora.url, scale: 0.8 }], image_size: 'square' } });
    expect((generated.data as { images: unknown[] }).images).toHaveLength(1);
    const missing = await fal.run('fal-ai/flux-lora', { input: { prompt: 'x', loras: [{ path: `${fake.origin}/files/nothing/here.safetensors` }] } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ValidationError);
    expect((missing as ValidationError).fieldErrors[0]).toMatchObject({ loc: ['body', 'loras', 0, 'path'], type: 'file_download_error' });
  });

  it('fails a training run on too few images, or a failure injected at run time, as COMPLETED with error fields and an error result', async () => {
    const few = await fal.storage.upload(new Blob([trainingZip(2)], { type: 'application/zip' }));
    const { request_id: tooFew } = await fal.queue.submit('fal-ai/flux-lora-fast-training', { input: { images_data_url: few, trigger_word: 'TOK' } });
    fake.advance(300);
    expect(await fal.queue.status('fal-ai/flux-lora-fast-training', { requestId: tooFew })).toMatchObject({ status: 'COMPLETED', error: expect.stringContaining('at least 4') });
    const refused = await fal.queue.result('fal-ai/flux-lora-fast-training', { requestId: tooFew }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).fieldErrors[0]).toMatchObject({ type: 'archive_file_count_below_minimum' });

    fake.addFault({ stage: 'run', endpoint: 'fal-ai/flux/dev', errorType: 'runner_disconnected', status: 400 });
    const { request_id: broken } = await fal.queue.submit('fal-ai/flux/dev', { input: { prompt: 'x' } });
    fake.advance(300);
    expect(await fal.queue.status('fal-ai/flux/dev', { requestId: broken })).toMatchObject({ status: 'COMPLETED', error_type: 'runner_disconnected' });
    const result = await fal.queue.result('fal-ai/flux/dev', { requestId: broken }).catch((e: unknown) => e);
    expect(result).toBeInstanceOf(ApiError);
    expect(result).toMatchObject({ status: 400, body: { error_type: 'runner_disconnected' } });
    expect(fake.requests.at(-1)!.status).toBe(400);
  });
});
