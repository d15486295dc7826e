// The MediaConduit quickstart: loads the mock provider from this repository through the whole
// Git pipeline (resolve, fetch, manifest, build, import), then makes one of everything.
//
//   pnpm demo                      (or: node examples/run.mjs examples/quickstart.ts [--out dir])
//
// Environment: MEDIACONDUIT_CACHE_DIR (default ./cache), TOGETHER_API_KEY (optional).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CAPABILITIES, MediaConduitError, createProviderRegistry, type MediaProviderV1, type ProgressEvent, type ProviderRegistryOptions } from '@mediaconduit/core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const outDir = resolve(values.out ?? join(root, 'output', 'quickstart'));
const cacheDir = process.env.MEDIACONDUIT_CACHE_DIR ?? join(root, 'cache');
const lockfile = join(cacheDir, 'quickstart.lock.json');
const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;

function headCommit(): string {
  if (!existsSync(join(root, '.git'))) {
    console.error(`The demo loads the mock provider from this repository through Git, but ${root} is not a Git checkout.\nClone the repository with git and run it again.`);
    process.exit(1);
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  if (git('status', '--porcelain', '--', 'packages/mock-provider') !== '') {
    console.log('Note: packages/mock-provider has uncommitted changes; the Git pipeline loads the last commit.\n');
  }
  return git('rev-parse', 'HEAD');
}

/** Loads a provider with a fresh registry; reports the time and which steps had to run. */
async function load(specifier: string, options: ProviderRegistryOptions = {}, config?: Record<string, unknown>) {
  const events: ProgressEvent[] = [];
  const registry = createProviderRegistry({ cacheDir, lockfile, onProgress: (e) => events.push(e), ...options });
  const started = performance.now();
  const provider = await registry.getProvider(specifier, config ? { config } : {});
  const elapsed = performance.now() - started;
  const did = events.filter((e) => e.status === 'done' && e.phase !== 'import').map((e) => e.phase);
  return { registry, provider, elapsed, did };
}

async function tour(provider: MediaProviderV1, prefix: string): Promise<string[]> {
  const saved: string[] = [];
  const save = async (name: string, asset: { save(path: string): Promise<string> }) => saved.push(await asset.save(join(outDir, `${prefix}${name}`)));

  console.log('\nModels per capability:');
  for (const capability of CAPABILITIES) {
    if (!provider.capabilities.includes(capability)) continue;
    const models = await provider.listModels({ capability });
    console.log(`  ${capability.padEnd(18)} ${models.map((m) => m.id).join(', ')}`);
  }

  const first = (capability: (typeof CAPABILITIES)[number]) => provider.getModelsForCapability(capability)[0]!.id;
  const textModel = await provider.getModel(first('text-to-text'), { capability: 'text-to-text' });
  console.log(`\nA haiku from ${textModel.id} (streamed):\n`);
  let haiku = '';
  for await (const part of textModel.stream('Write a haiku about a mountain lake at dawn', { seed: 3, maxTokens: 60 })) {
    if (part.type === 'text-delta') {
      haiku += part.text;
      process.stdout.write(part.text);
    }
  }
  console.log('\n');
  await save('haiku.txt', await textModel.transform('Write a haiku about a mountain lake at dawn', { seed: 3, maxTokens: 60 }));

  const imageModel = await provider.getModel(first('text-to-image'), { capability: 'text-to-image' });
  const image = await imageModel.transform('A serene mountain landscape at dawn', { width: 768, height: 512, seed: 3 });
  await save(image.mimeType === 'image/png' ? 'mountain.png' : 'mountain.jpg', image);
  console.log(`Image  ${imageModel.id}: ${image.width}×${image.height} ${image.mimeType}, ${image.bytes.byteLength} bytes, ${ms(image.metadata.latencyMs ?? 0)}`);

  const speechModel = await provider.getModel(first('text-to-audio'), { capability: 'text-to-audio' });
  const speech = await speechModel.transform(haiku.trim(), { format: 'wav' });
  await save('haiku.wav', speech);
  console.log(`Speech ${speechModel.id}: ${speech.durationSeconds?.toFixed(2)} s of ${speech.mimeType} at ${speech.sampleRate} Hz`);

  const transcriber = await provider.getModel(first('audio-to-text'), { capability: 'audio-to-text' });
  const transcript = await transcriber.transform(speech);
  await save('transcript.txt', transcript);
  const exact = transcript.text.trim() === haiku.trim();
  console.log(`Transcription ${transcriber.id}: ${JSON.stringify(transcript.text.slice(0, 60))}${transcript.text.length > 60 ? '…' : ''}${exact ? ' (exact round trip)' : ''}`);

  const embedder = await provider.getModel(first('text-to-embedding'), { capability: 'text-to-embedding' });
  const [a, b] = await embedder.transformMany([haiku, 'quarterly revenue grew by four percent']);
  await save('embedding.json', a!);
  console.log(
    `Embedding ${embedder.id}: ${a!.dimensions} dimensions; similarity to itself ${a!.cosineSimilarity(a!).toFixed(3)}, to an unrelated sentence ${a!.cosineSimilarity(b!).toFixed(3)}`,
  );
  return saved;
}

const commit = headCommit();
const specifier = `file://${root.replace(/\/$/, '')}//packages/mock-provider@${commit}`;
console.log(`MediaConduit quickstart\nLoading the mock provider through Git: ${specifier}`);
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });

const first = await load(specifier);
console.log(`First load:  ${ms(first.elapsed)} ${first.did.length ? `(cold: ${first.did.join(', ')})` : '(warm: everything was cached)'}`);
const again = await load(specifier);
console.log(`Warm load:   ${ms(again.elapsed)} (fresh registry: lockfile and cache hit, ${again.did.length ? `ran ${again.did.join(', ')}` : 'no network, no git, no build'})`);
const files = await tour(first.provider, '');
await Promise.all([first.registry.close(), again.registry.close()]);

if (process.env.TOGETHER_API_KEY) {
  const together = `file://${root.replace(/\/$/, '')}//packages/together-provider@${commit}`;
  console.log(`\nTOGETHER_API_KEY is set: running the same tour against Together AI (${together})`);
  try {
    const loaded = await load(together);
    files.push(...(await tour(loaded.provider, 'together-')));
    await loaded.registry.close();
  } catch (error) {
    if (!MediaConduitError.isInstance(error)) throw error;
    console.log(`Together part failed: ${error.code}: ${error.message}`);
    process.exitCode = 1;
  }
} else {
  console.log('\nTOGETHER_API_KEY is not set, so this run used only the offline mock provider. Set it to run the same tour against Together AI.');
}

await writeFile(join(outDir, 'README.txt'), `Made by examples/quickstart.ts from ${specifier}\n`);
console.log(`\nSaved in ${relative(process.cwd(), outDir) || '.'}/:`);
for (const file of files) console.log(`  ${relative(outDir, file)}`);
