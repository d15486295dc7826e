// The parts of the fake fal server the official client does not cover: the platform API (model
// search by category, with cursors; prices) and its error envelope, and the queue's status stream
// (driven here with the official client's `subscribeToStatus` in streaming mode).
import { createFalClient } from '@fal-ai/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FAKE_FAL_MODELS, type FakeFalServer, startFakeFal } from '../src/testing/index.js';

let fake: FakeFalServer;

beforeEach(async () => {
  fake = await startFakeFal({ clock: 'manual' });
});

afterEach(async () => {
  await fake.close();
});

/** GET on the platform API; `key` null sends none. */
const get = async (path: string, key: string | null = fake.key) => {
  const response = await fetch(`${fake.urls.api}${path}`, key ? { headers: { authorization: `Key ${key}` } } : {});
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('the fake fal platform API', () => {
  it('searches models by category, page by page through its cursors, with no key needed', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { status, body } = await get(`/v1/models?category=text-to-image&limit=2${cursor ? `&cursor=${cursor}` : ''}`, null);
      expect(status).toBe(200);
      const models = body.models as { endpoint_id: string; metadata: { category: string; kind: string } }[];
      expect(models.every((m) => m.metadata.category === 'text-to-image' && m.metadata.kind === 'inference')).toBe(true);
      ids.push(...models.map((m) => m.endpoint_id));
      cursor = body.next_cursor as string | null;
      expect(body.has_more).toBe(cursor !== null);
      if (!cursor) break;
    }
    expect(ids).toEqual(FAKE_FAL_MODELS.filter((m) => m.category === 'text-to-image').map((m) => m.endpointId));
    const training = await get('/v1/models?category=training');
    expect(
      (training.body.models as { endpoint_id: string; metadata: { inference_endpoint_ids: string[] } }[]).map((m) => [m.endpoint_id, m.metadata.inference_endpoint_ids]),
    ).toEqual([
      ['fal-ai/flux-lora-fast-training', ['fal-ai/flux-lora']],
      ['fal-ai/flux-lora-portrait-trainer', ['fal-ai/flux-lora']],
    ]);
  });

  it('prices endpoints with a key, and answers errors in its own envelope', async () => {
    expect(await get('/v1/models/pricing?endpoint_id=fal-ai/flux/dev,fal-ai/flux-lora')).toEqual({
      status: 200,
      body: {
        prices: [
          { endpoint_id: 'fal-ai/flux/dev', unit_price: 0.025, unit: 'image', currency: 'USD' },
          { endpoint_id: 'fal-ai/flux-lora', unit_price: 0.035, unit: 'megapixels', currency: 'USD' },
        ],
        next_cursor: null,
        has_more: false,
      },
    });
    expect(await get('/v1/models/pricing?endpoint_id=fal-ai/flux/dev', null)).toMatchObject({ status: 401, body: { error: { type: 'authorization_error' } } });
    expect(await get('/v1/models?limit=2', 'wrong:key')).toMatchObject({ status: 401, body: { error: { type: 'authorization_error' } } });
    expect(await get('/v1/models/pricing?endpoint_id=fal-ai/nothing')).toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });
    expect(await get('/v1/models?limit=0')).toMatchObject({ status: 400, body: { error: { type: 'validation_error' } } });
  });
});

describe('the fake fal status stream', () => {
  it('sends a status event at each change and closes after COMPLETED, as the official client streams it', async () => {
    const fal = createFalClient({ credentials: fake.key, fetch: fake.fetch, suppressLocalCredentialsWarning: true });
    const { request_id: requestId } = await fal.queue.submit('fal-ai/flux/schnell', { input: { prompt: 'streamed' } });
    const seen: string[] = [];
    const done = fal.queue.subscribeToStatus('fal-ai/flux/schnell', {
      requestId,
      mode: 'streaming',
      logs: true,
      onQueueUpdate: (status) => {
        seen.push(status.status);
        fake.advance(150); // every event moves the clock: the stream ends after a bounded number
      },
    });
    expect(await done).toMatchObject({ status: 'COMPLETED', request_id: requestId });
    expect(seen[0]).toBe('IN_QUEUE');
    expect(seen).toContain('IN_PROGRESS');
    expect(fake.requests.some((r) => r.path === `/fal-ai/flux/requests/${requestId}/status/stream` && r.query.logs === '1')).toBe(true);
  });
});
