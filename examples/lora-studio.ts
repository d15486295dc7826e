// An image-LoRA studio, end to end: check the pictures, train a FLUX LoRA on fal with a trigger
// word, follow it with progress, generate with and without the trigger word, and serve the LoRA
// through a chain that tries Together's FLUX first and fal second.
//
//   node examples/run.mjs examples/lora-studio.ts [--data folder] [--trigger word] [--steps n] [--out dir]
//
// With FAL_KEY and TOGETHER_API_KEY set it runs on the real services (training costs money on
// fal: about $2 per 1000 steps). Without them it runs offline against local stand-ins: the fake
// fal and Together servers this project tests with, and a loopback npm registry for the fal
// provider's one dependency. Either way the providers are loaded from Git by URL, each in a
// process of its own that never sees a key, and the job is recorded in the cache's job store.
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  checkTrainingData,
  createProviderRegistry,
  type ImageModelV1,
  MediaConduitError,
  type ProviderRegistryOptions,
  type TrainingJobInfoV1,
  withAdapters,
} from '@mediaconduit/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    trigger: { type: 'string', default: 'TOK' },
    steps: { type: 'string', default: '1000' },
    out: { type: 'string' },
  },
});
const outDir = resolve(values.out ?? join(root, 'output', 'lora-studio'));
const cacheDir = process.env.MEDIACONDUIT_CACHE_DIR ?? join(root, 'cache');
const live = Boolean(process.env.FAL_KEY && process.env.TOGETHER_API_KEY);
const cleanups: (() => Promise<unknown>)[] = [];

if (!live) console.log('FAL_KEY and TOGETHER_API_KEY are not both set: running offline against local stand-ins of fal, Together and npm.');
const services = live ? await liveServices() : await offlineServices();
const registry = createProviderRegistry({ cacheDir, lockfile: join(cacheDir, 'lora-studio.lock.json'), isolation: 'process', ...services.registry });
cleanups.unshift(() => registry.close());

try {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const pictures = values.data ? resolve(values.data) : await paintPictures(join(outDir, 'pictures'));

  // 1. Check the pictures: every problem at once, before anything is uploaded.
  const checked = await checkTrainingData(pictures, { label: 'lora-studio', accept: ['images'], captions: true, unsupported: () => 'pictures only' });
  console.log(`1. Checked ${checked.files.length} pictures (${checked.files.filter((f) => f.caption).length} with captions) in ${relative(process.cwd(), pictures) || '.'}`);
  for (const warning of checked.warnings) console.log(`   warning: ${warning}`);

  // 2. Train a FLUX LoRA on fal, with a trigger word.
  const fal = await registry.getProvider(services.fal);
  const job = await fal.createTrainingJob!({ data: pictures, triggerWord: values.trigger, steps: Number(values.steps) });
  console.log(`2. Started ${job.id} (${job.info.parameters.steps} steps, trigger word "${values.trigger}")`);

  // 3. Follow it, with progress.
  const report = progress(performance.now());
  report(job.info); // as submitted: its place in fal's queue
  const done = await job.wait({ onProgress: report, ...(live ? {} : { pollIntervalMs: 200 }) });
  const weights = done.artifacts!.find((a) => a.kind === 'weights')!;
  console.log(`3. Ready: ${done.outputModel}`);
  console.log(`   weights ${weights.url} (recorded in the job store: fal keeps results about an hour)`);

  // 4. Generate with and without the trigger word.
  const lora = (await fal.getModel(done.outputModel!, { capability: 'text-to-image' })) as ImageModelV1;
  for (const [name, prompt] of [
    ['with-trigger', `a portrait of ${values.trigger} in a sunlit garden`],
    ['without-trigger', 'a portrait in a sunlit garden'],
  ] as const) {
    const image = await lora.transform(prompt, { width: 512, height: 512, seed: 7 });
    console.log(`4. "${prompt}" → ${relative(process.cwd(), await image.save(join(outDir, `${name}.${image.mimeType === 'image/png' ? 'png' : 'jpg'}`)))}`);
  }

  // 5. Serve the LoRA through a chain: Together's FLUX by the weights URL first, fal second.
  const together = await registry.getProvider(services.together);
  const onTogether = withAdapters((await together.getModel('black-forest-labs/FLUX.1-dev', { capability: 'text-to-image' })) as ImageModelV1, [{ path: weights.url, scale: 1 }]);
  const chain = registry.withFallback([onTogether, lora], { name: `lora-${values.trigger}` });
  const served = await chain.transform(`${values.trigger} reading a book`, { width: 512, height: 512 });
  const path = await served.save(join(outDir, `served.${served.mimeType === 'image/png' ? 'png' : 'jpg'}`));
  console.log(`5. Served by ${served.metadata.provider} through the chain → ${relative(process.cwd(), path)}`);
  console.log(`   usage: ${JSON.stringify(registry.usage().byProvider)}`);
} catch (error) {
  if (!MediaConduitError.isInstance(error)) throw error;
  console.error(`lora-studio failed: ${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups) await cleanup();
}

/** The providers from this repository, at its commit, on the real services: keys from the environment. */
async function liveServices(): Promise<{ fal: string; together: string; registry: ProviderRegistryOptions }> {
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const repo = `file://${root.replace(/\/$/, '')}/`;
  return { fal: `${repo}/packages/fal-provider@${commit}`, together: `${repo}/packages/together-provider@${commit}`, registry: {} };
}

/**
 * Local stand-ins of everything the live run reaches: the fake fal and Together servers, and a
 * loopback npm registry serving fflate from this workspace. That registry packs fflate itself, so
 * its tarball is not the public one: the providers are committed to a scratch repository with the
 * fal provider's lockfile pinned to it.
 */
async function offlineServices(): Promise<{ fal: string; together: string; registry: ProviderRegistryOptions }> {
  const { startFakeFal } = await import('@mediaconduit/fal-provider/testing');
  const { startFakeTogether } = await import('@mediaconduit/together-provider/testing');
  const { pinLockfileTo, startNpmRegistry } = await import('@mediaconduit/testing');
  const falFake = await startFakeFal({ timings: { queuePositionMs: 300, trainingMs: 3000 }, queueAhead: 1 });
  const togetherFake = await startFakeTogether({ apiKey: 'offline-together-key' });
  const fflate = dirname(createRequire(join(root, 'packages/fal-provider/package.json')).resolve('fflate/package.json'));
  const npm = await startNpmRegistry({ packages: [{ folder: fflate }] });
  const scratch = await mkdtemp(join(tmpdir(), 'lora-studio-'));
  cleanups.push(falFake.close, togetherFake.close, npm.close, () => rm(scratch, { recursive: true, force: true }));
  for (const name of ['fal-provider', 'together-provider']) {
    await cp(join(root, 'packages', name), join(scratch, 'packages', name), { recursive: true, filter: (source) => !/node_modules|[/\\]dist$/.test(source) });
  }
  await pinLockfileTo(join(scratch, 'packages/fal-provider/package-lock.json'), npm);
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=lora-studio', '-c', 'user.email=lora-studio@example.invalid', ...args], { cwd: scratch });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '--all');
  git('commit', '--quiet', '-m', 'providers');
  return {
    fal: `file://${scratch}//packages/fal-provider`,
    together: `file://${scratch}//packages/together-provider`,
    registry: {
      npmRegistry: npm.url,
      env: { FAL_KEY: falFake.key, FAL_BASE_URL: falFake.origin, TOGETHER_API_KEY: 'offline-together-key', TOGETHER_BASE_URL: togetherFake.baseURL },
      // The hosts keep the keys, and send each only to its own service's origin.
      secretOrigins: { FAL_KEY: [falFake.origin], TOGETHER_API_KEY: [new URL(togetherFake.baseURL).origin] },
    },
  };
}

/** Six pictures to train on when none are given: gradients, one with a caption. */
async function paintPictures(folder: string): Promise<string> {
  const { encodePng } = await import('@mediaconduit/core');
  const { writeFile } = await import('node:fs/promises');
  await mkdir(folder, { recursive: true });
  for (let i = 0; i < 6; i++) {
    const side = 512;
    const pixels = new Uint8Array(side * side * 3);
    for (let p = 0; p < side * side; p++) pixels.set([((p % side) / 2 + i * 40) & 255, Math.floor(p / side / 2) & 255, (120 + i * 20) & 255], p * 3);
    await writeFile(join(folder, `picture-${i + 1}.png`), encodePng(side, side, pixels));
  }
  await writeFile(join(folder, 'picture-1.txt'), `a photo of ${values.trigger}, studio light`);
  return folder;
}

/** Progress while waiting: one line per change of status, and per 10 % while running. */
function progress(started: number): (info: TrainingJobInfoV1) => void {
  let last = '';
  return (info) => {
    const p = info.progress ?? {};
    const parts = [info.status.padEnd(9)];
    if (p.queuePosition !== undefined) parts.push(`position ${p.queuePosition}`);
    if (p.percent !== undefined) parts.push(`${String(p.percent).padStart(3)}%`);
    if (p.step !== undefined && p.totalSteps) parts.push(`step ${p.step}/${p.totalSteps}`);
    parts.push(`elapsed ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const key = `${info.status} ${p.queuePosition ?? ''} ${Math.floor((p.percent ?? 0) / 10)}`;
    if (key !== last) console.log(`   ${parts.join('  ')}`);
    last = key;
  };
}
