// Fine-tuning end to end: check and upload training data, start a LoRA job, follow it with live
// progress until it is ready, then generate with the trained model.
//
//   node examples/run.mjs examples/training.ts [--data folder-or-file] [--trigger word]
//        [--base-model id] [--epochs n] [--out dir]
//
// Without TOGETHER_API_KEY it runs on the mock provider, offline: it paints five training pictures,
// trains the trigger word on them, and saves pictures made with and without the word. With a key
// it trains a language-model LoRA on Together from a JSONL file (Together does not train image
// LoRAs) and chats with the result. The job is recorded in the cache's job store: run with
// --resume <job id> from another shell to follow it from a new process.
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createProviderRegistry, MediaConduitError, type TrainingJobInfoV1, type TrainingJobV1 } from '@mediaconduit/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    trigger: { type: 'string', default: 'sks' },
    'base-model': { type: 'string' },
    epochs: { type: 'string' },
    out: { type: 'string' },
    resume: { type: 'string' },
  },
});
const outDir = resolve(values.out ?? join(root, 'output', 'training'));
const cacheDir = process.env.MEDIACONDUIT_CACHE_DIR ?? join(root, 'cache');
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const repo = `file://${root.replace(/\/$/, '')}/`;
const onTogether = Boolean(process.env.TOGETHER_API_KEY);
const specifier = `${repo}/packages/${onTogether ? 'together' : 'mock'}-provider@${commit}`;
const epochs = values.epochs === undefined ? undefined : Number(values.epochs);

if (!onTogether) console.log('TOGETHER_API_KEY is not set: training on the mock provider (offline, simulated). Set it to train on Together.');
const registry = createProviderRegistry({ cacheDir, lockfile: join(cacheDir, 'training.lock.json') });

try {
  const provider = await registry.getProvider(specifier, onTogether ? {} : { config: { trainingMs: 4000 } });
  let job: TrainingJobV1;
  if (values.resume) {
    job = await registry.resumeTrainingJob(values.resume);
    console.log(`Resuming ${job.id} (${job.info.status})`);
  } else {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const data = values.data ?? (onTogether ? await sampleExamples(join(outDir, 'data')) : await samplePictures(join(outDir, 'data')));
    console.log(`Training data: ${relative(process.cwd(), data) || '.'}`);
    job = await provider.createTrainingJob!({
      data,
      ...(onTogether
        ? { baseModel: values['base-model'] ?? 'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference', suffix: 'mediaconduit-example' }
        : { triggerWord: values.trigger, ...(values['base-model'] ? { baseModel: values['base-model'] } : {}) }),
      ...(epochs !== undefined ? { epochs } : {}),
      onWarning: (warning) => console.log(`  warning: ${warning}`),
    });
    console.log(`Started ${job.id} on ${job.info.providerId}: base ${job.info.baseModel}, ${JSON.stringify(job.info.parameters)}`);
  }

  const done = await job.wait({ onProgress: progress(performance.now()) });
  console.log(`Ready: ${done.outputModel}`);
  const events = await job.events();
  console.log(`Events: ${events.map((e) => e.type).join(' → ')}`);
  console.log(`Recorded in the job store: ${(await registry.trainingJobs()).length} job(s) under ${relative(process.cwd(), registry.options.trainingDir)}`);

  if (done.outputCapability === 'text-to-image') {
    const trained = await provider.getModel(done.outputModel!, { capability: 'text-to-image' });
    const word = done.parameters.triggerWord ?? values.trigger;
    for (const [name, prompt] of [
      ['with-trigger', `a lighthouse at dusk, ${word} style`],
      ['without-trigger', 'a lighthouse at dusk'],
    ] as const) {
      const picture = await trained.transform(prompt, { width: 512, height: 320, seed: 7 });
      console.log(`Generated "${prompt}" → ${relative(process.cwd(), await picture.save(join(outDir, `${name}.png`)))}`);
    }
  } else {
    const chat = await provider.getModel(done.outputModel!, { capability: 'text-to-text' });
    console.log(`Reply: ${(await chat.transform('Say hello in one sentence.', { maxTokens: 40 })).text}`);
  }
} catch (error) {
  if (!MediaConduitError.isInstance(error)) throw error;
  console.error(`Training failed: ${error.code}: ${error.message}`);
  process.exitCode = 1;
} finally {
  await registry.close();
}

/** Progress while waiting: one rewritten line on a terminal; elsewhere a line per status, and per 10 % while running. */
function progress(started: number): (info: TrainingJobInfoV1) => void {
  let last = '';
  return (info) => {
    const p = info.progress ?? {};
    const parts = [info.status.padEnd(11)];
    if (p.percent !== undefined) parts.push(`${String(p.percent).padStart(3)}%`);
    if (p.step !== undefined && p.totalSteps) parts.push(`step ${p.step}/${p.totalSteps}`);
    if (p.epoch !== undefined && p.totalEpochs) parts.push(`epoch ${p.epoch}/${p.totalEpochs}`);
    parts.push(`elapsed ${((performance.now() - started) / 1000).toFixed(1)} s`);
    if (process.stdout.isTTY) {
      process.stdout.write(`\r  ${parts.join('  ')}\x1b[K${info.status === 'completed' ? '\n' : ''}`);
      return;
    }
    const key = `${info.status} ${Math.floor((p.percent ?? 0) / 10)}`;
    if (key !== last) console.log(`  ${parts.join('  ')}`);
    last = key;
  };
}

/** Five pictures made by the mock's stripes model: the "style" the mock LoRA learns. */
async function samplePictures(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const stripes = await (await registry.getProvider(specifier, { config: { trainingMs: 4000 } })).getModel('mock/stripes-1', { capability: 'text-to-image' });
  for (let i = 0; i < 5; i++) await (await stripes.transform(`training picture ${i}`, { width: 512, height: 512, seed: i })).save(join(folder, `picture-${i}.png`));
  return folder;
}

/** A tiny JSONL file of chat examples (Together's training data format). */
async function sampleExamples(folder: string): Promise<string> {
  await mkdir(folder, { recursive: true });
  const file = join(folder, 'examples.jsonl');
  const examples = Array.from({ length: 20 }, (_, i) => ({
    messages: [
      { role: 'user', content: `Greet visitor number ${i + 1}.` },
      { role: 'assistant', content: `Welcome, visitor ${i + 1}! MediaConduit says hello.` },
    ],
  }));
  await writeFile(file, `${examples.map((e) => JSON.stringify(e)).join('\n')}\n`);
  return file;
}
