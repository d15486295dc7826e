// Dependable calls: the image-agent report's configuration layers, run against the fake Together
// server on 127.0.0.1 with injected faults, so it works offline and without a key.
//
//   node examples/run.mjs examples/fallback.ts [--env production|staging|development] [--out dir]
//
// Production is Together FLUX falling back to the mock image model, with 2 retries at a 1000 ms
// backoff base. Both providers load from this repository through the Git pipeline. Every call is
// logged to <out>/calls.jsonl; the images are saved beside it.
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProviderRegistry, jsonlCallLog, MediaConduitError, type LayeredModelConfig } from '@mediaconduit/core';
import { startFakeTogether } from '@mediaconduit/together-provider/testing';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { env: { type: 'string', default: 'production' }, out: { type: 'string' } } });
const outDir = resolve(values.out ?? join(root, 'output', 'fallback'));
const cacheDir = process.env.MEDIACONDUIT_CACHE_DIR ?? join(root, 'cache');
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const repo = `file://${root.replace(/\/$/, '')}/`;
const MOCK = `${repo}/packages/mock-provider@${commit}`;
const TOGETHER = `${repo}/packages/together-provider@${commit}`;
const FLUX = 'black-forest-labs/FLUX.1-schnell';

// The fake accepts this key only; the example never talks to the real Together API.
const fake = await startFakeTogether({ apiKey: 'example-key' });
const together = { provider: TOGETHER, model: FLUX, config: { apiKey: 'example-key', baseURL: fake.baseURL } };
const mock = { provider: MOCK, model: 'mock/gradient-1' };

// The configuration layers: one per environment, over shared defaults.
const heroImage: LayeredModelConfig<'text-to-image'> = {
  capability: 'text-to-image',
  name: 'hero-image',
  defaults: { cooldown: { cooldownMs: 30_000 } },
  environments: {
    development: { chain: [mock] },
    staging: { chain: [together] },
    production: { chain: [together, mock], retry: { maxRetries: 2, baseDelayMs: 1000 } },
  },
};

await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const registry = createProviderRegistry({ cacheDir, lockfile: join(cacheDir, 'fallback.lock.json'), callLog: [jsonlCallLog(join(outDir, 'calls.jsonl'))] });
registry.on('call:retry', (e) =>
  console.log(
    `    retry: ${e.provider} ${e.model} attempt ${e.attempt} failed (${e.error.code}${e.error.status ? ` ${e.error.status}` : ''}); next in ${Math.round(e.delayMs)} ms`,
  ),
);
registry.on('call:fallback', (e) =>
  console.log(`    fallback: ${e.from.provider} ${e.from.model} ${e.skipped ? 'is cooling down' : `failed (${e.error?.code})`}; trying ${e.to.model}`),
);
const image = registry.modelFromConfig(heroImage, { environment: values.env });
console.log(`MediaConduit fallback example: environment "${values.env}", chain ${image.info.displayName}`);

let n = 0;
async function scene(title: string, fault: Parameters<typeof fake.addFault>[0] | undefined, prompt = 'a lighthouse on a cliff at dusk') {
  console.log(`\n${++n}. ${title}`);
  fake.reset();
  if (fault) fake.addFault(fault);
  const started = performance.now();
  try {
    const picture = await image.transform(prompt, { width: 512, height: 320, seed: n });
    const file = await picture.save(join(outDir, `scene-${n}.${picture.mimeType === 'image/png' ? 'png' : 'jpg'}`));
    const cost = picture.metadata.costUsd === undefined ? 'no price published' : `$${picture.metadata.costUsd.toFixed(4)}`;
    console.log(
      `    served by ${picture.metadata.provider} ${picture.metadata.model} in ${Math.round(performance.now() - started)} ms: ${picture.width}×${picture.height}, ${cost} → ${relative(process.cwd(), file)}`,
    );
  } catch (error) {
    if (!MediaConduitError.isInstance(error)) throw error;
    console.log(`    failed in ${Math.round(performance.now() - started)} ms: ${error.code}: ${error.message.split('\n')[0]}`);
  }
}

try {
  await scene('A healthy call', undefined);
  await scene('Together rate-limits once (429, retry-after: 1): the runtime waits, then retries', { path: '/images/generations', status: 429, headers: { 'retry-after': '1' } });
  await scene('A prompt the safety checker refuses (422): no retry, and not passed on to the mock', undefined, 'nsfw lighthouse');
  await scene('Together is overloaded (503, three times): retries run out, the chain falls back', { path: '/images/generations', status: 503, times: 3 });
  await scene('Right after: Together is cooling down, so the chain goes straight to the mock', undefined);

  const usage = registry.usage();
  console.log('\nUsage by model:');
  for (const [model, totals] of Object.entries(usage.byModel)) {
    console.log(`  ${model.padEnd(45)} ${totals.calls} calls, ${totals.failures} failed, ${totals.usage.images ?? 0} images, $${totals.costUsd.toFixed(4)}`);
  }
  console.log(`\nEvery call and retried attempt is in ${relative(process.cwd(), join(outDir, 'calls.jsonl'))}`);
} finally {
  await registry.close();
  await fake.close();
}
