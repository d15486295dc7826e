import { Audio, CAPABILITIES, type Capability, MediaAsset, MediaConduitError, type MediaProviderV1, type ModelInfoV1, type ModelV1 } from '@mediaconduit/provider';
import { type FolderProvider, loadProviderFromFolder, providerShapeProblems } from '@mediaconduit/core';
import { checkImageBytes, checkWav, sineWav } from './asset-checks.js';

/** One line of a conformance report. */
export interface ConformanceCheck {
  /** Stable check name: `manifest`, `build`, `load`, `spec`, `capabilities`, `errors`, `health`, or a capability. */
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** What was found. */
  message: string;
  /** How to fix a failure. */
  hint?: string;
}

/** The result of {@link runConformance}. */
export interface ConformanceReport {
  /** Provider id and version, when the manifest could be read. */
  provider?: string;
  target: string;
  checks: ConformanceCheck[];
  ok: boolean;
}

const HINTS: Record<string, string> = {
  manifest: "fix the listed fields in MediaConduit.provider.yml (see the README's manifest reference)",
  build: 'fix the file and line esbuild names; providers may import only their own files, installed dependencies and @mediaconduit/core',
  load: "make the entry's default export a factory `(context) => provider` that does not throw, and make initialize() succeed offline",
  spec: "return an object with specificationVersion: 'v1', id (equal to the manifest id), name, type and the required methods",
  capabilities: "make the provider's `capabilities` equal the manifest's, and serve at least one model for each",
  errors: "throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message }) from getModel for unknown ids",
  health: "getHealth() must resolve to { status: 'healthy' | 'degraded' | 'unavailable', checkedAt } and isAvailable() to a boolean",
};

const SAMPLE_TEXT = 'Hello from the MediaConduit conformance kit.';

/** Runs one capability's model on a small input and checks the asset it returns. */
async function checkCapability(provider: MediaProviderV1, capability: Capability, signal: AbortSignal): Promise<ConformanceCheck> {
  const fail = (message: string, hint: string): ConformanceCheck => ({ name: capability, status: 'failed', message, hint });
  let models: ModelInfoV1[];
  try {
    models = await provider.listModels({ capability, signal });
  } catch (error) {
    return fail(`listModels({ capability: '${capability}' }) threw: ${(error as Error).message}`, 'make listModels work offline or against the configured endpoint');
  }
  const info = models.find((m) => m.capability === capability);
  if (!info) return fail(`no ${capability} model is listed`, `list at least one ${capability} model in listModels()`);
  let model: ModelV1;
  try {
    model = (await provider.getModel(info.id, { capability })) as ModelV1;
  } catch (error) {
    return fail(`getModel('${info.id}') threw: ${(error as Error).message}`, 'getModel must return every model listModels lists');
  }
  if (model?.specificationVersion !== 'v1' || model.capability !== capability || typeof model.transform !== 'function') {
    return fail(`getModel('${info.id}') did not return a v1 ${capability} model`, `return a model with specificationVersion 'v1', capability '${capability}' and transform()`);
  }
  const asAsset = (value: unknown, kind: string): string | undefined =>
    !MediaAsset.isInstance(value)
      ? `transform() returned ${typeof value}, not a MediaConduit asset`
      : value.kind !== kind
        ? `transform() returned a ${value.kind} asset, not ${kind}`
        : undefined;
  try {
    switch (model.capability) {
      case 'text-to-text': {
        const text = await model.transform(SAMPLE_TEXT, { maxTokens: 64, signal });
        const problem = asAsset(text, 'text') ?? (text.text.trim() === '' ? 'the text is empty' : undefined);
        if (problem) return fail(`${info.id}: ${problem}`, 'return new Text(answer, metadata) with a non-empty answer');
        let deltas = 0,
          finished = false;
        for await (const part of model.stream(SAMPLE_TEXT, { maxTokens: 64, signal })) {
          if (part.type === 'text-delta') deltas++;
          if (part.type === 'finish') finished = true;
        }
        if (deltas === 0 || !finished)
          return fail(
            `${info.id}: stream() yielded ${deltas} text deltas and ${finished ? 'a' : 'no'} finish part`,
            'yield { type: "text-delta", text } parts, then one { type: "finish", finishReason }',
          );
        return { name: capability, status: 'passed', message: `${info.id}: ${text.text.length} characters; streamed ${deltas} deltas` };
      }
      case 'text-to-image': {
        const image = await model.transform('A red circle on a white background', { width: 256, height: 256, signal });
        const problem = asAsset(image, 'image') ?? checkImageBytes(image.bytes);
        if (problem) return fail(`${info.id}: ${problem}`, 'return new Image(bytes) with the encoded file exactly as produced');
        if (image.width !== 256 || image.height !== 256) return fail(`${info.id}: asked for 256×256, got ${image.width}×${image.height}`, 'honour the width and height options');
        return { name: capability, status: 'passed', message: `${info.id}: valid ${image.mimeType} ${image.width}×${image.height}` };
      }
      case 'text-to-audio': {
        const audio = await model.transform(SAMPLE_TEXT, { signal });
        const problem = asAsset(audio, 'audio') ?? (audio.bytes.byteLength === 0 ? 'the audio is empty' : /wav/.test(audio.mimeType) ? checkWav(audio.bytes) : undefined);
        if (problem) return fail(`${info.id}: ${problem}`, 'return new Audio(bytes, mimeType) with a complete file');
        return { name: capability, status: 'passed', message: `${info.id}: valid ${audio.mimeType}${audio.durationSeconds ? `, ${audio.durationSeconds.toFixed(2)} s` : ''}` };
      }
      case 'audio-to-text': {
        const speaker = provider.capabilities.includes('text-to-audio') ? (await provider.listModels({ capability: 'text-to-audio', signal }))[0] : undefined;
        const ownSpeech = speaker ? ((await (await provider.getModel(speaker.id, { capability: 'text-to-audio' })).transform(SAMPLE_TEXT, { signal })) as Audio) : undefined;
        const input = ownSpeech ?? new Audio(sineWav(), 'audio/wav');
        const text = await model.transform(input, { signal });
        const problem = asAsset(text, 'text') ?? (ownSpeech && text.text.trim() === '' ? "transcribing the provider's own speech gave empty text" : undefined);
        if (problem) return fail(`${info.id}: ${problem}`, 'return new Text(transcript, metadata)');
        return {
          name: capability,
          status: 'passed',
          message: `${info.id}: transcribed ${ownSpeech ? 'its own speech' : 'a test tone'} to ${JSON.stringify(text.text.slice(0, 40))}`,
        };
      }
      case 'text-to-embedding': {
        const embedding = await model.transform(SAMPLE_TEXT, { signal });
        const problem =
          asAsset(embedding, 'embedding') ??
          (embedding.values.length === 0 || embedding.values.some((v) => !Number.isFinite(v))
            ? 'the vector is empty or holds non-numbers'
            : info.dimensions !== undefined && embedding.values.length !== info.dimensions
              ? `the model states ${info.dimensions} dimensions but returned ${embedding.values.length}`
              : undefined);
        if (problem) return fail(`${info.id}: ${problem}`, 'return new Embedding(values) with the stated number of finite values');
        return { name: capability, status: 'passed', message: `${info.id}: ${embedding.values.length} dimensions` };
      }
    }
  } catch (error) {
    const typed = MediaConduitError.isInstance(error) ? `${error.code}: ` : '';
    return fail(
      `${info.id}: transform() threw ${typed}${(error as Error).message}`,
      'make the call succeed on this small input, or throw a MediaConduitError saying why it cannot',
    );
  }
}

/** Runs every check against a loaded provider and its manifest. */
export async function checkProvider(
  provider: MediaProviderV1,
  manifest: { id: string; capabilities: readonly Capability[] },
  options: { signal?: AbortSignal } = {},
): Promise<ConformanceCheck[]> {
  const signal = options.signal ?? new AbortController().signal;
  const checks: ConformanceCheck[] = [];
  const add = (name: string, problems: string[], okMessage: string) =>
    checks.push(problems.length === 0 ? { name, status: 'passed', message: okMessage } : { name, status: 'failed', message: problems.join('; '), hint: HINTS[name]! });

  const shape = providerShapeProblems(provider, manifest);
  add('spec', shape.spec, 'v1 shape, id matches the manifest');
  if (shape.spec.some((s) => s.endsWith('() is missing') || s.startsWith('the factory returned'))) return checks;

  const implemented: readonly string[] = Array.isArray(provider.capabilities) ? provider.capabilities : [];
  const caps = [...shape.capabilities];
  for (const capability of manifest.capabilities) {
    if (implemented.includes(capability) && provider.getModelsForCapability(capability).length === 0) caps.push(`getModelsForCapability('${capability}') is empty`);
  }
  add('capabilities', caps, `declared = implemented: ${manifest.capabilities.join(', ')}`);

  for (const capability of CAPABILITIES) {
    if (!manifest.capabilities.includes(capability) && !implemented.includes(capability)) continue;
    if (!implemented.includes(capability)) {
      checks.push({ name: capability, status: 'failed', message: 'declared in the manifest but not implemented', hint: HINTS.capabilities! });
      continue;
    }
    checks.push(await checkCapability(provider, capability, signal));
  }

  const errors: string[] = [];
  try {
    await provider.getModel('mediaconduit-conformance/no-such-model');
    errors.push('getModel of an unknown id resolved instead of failing');
  } catch (error) {
    if (!MediaConduitError.isInstance(error)) errors.push(`getModel of an unknown id threw an untyped ${(error as Error)?.name ?? typeof error}, not a MediaConduitError`);
    else if (error.code !== 'MODEL_NOT_FOUND') errors.push(`getModel of an unknown id failed with ${error.code}, expected MODEL_NOT_FOUND`);
  }
  add('errors', errors, 'unknown model ids fail with MODEL_NOT_FOUND');

  const health: string[] = [];
  try {
    const [available, report] = await Promise.all([provider.isAvailable(), provider.getHealth({ signal })]);
    if (typeof available !== 'boolean') health.push(`isAvailable() resolved to ${typeof available}`);
    if (!['healthy', 'degraded', 'unavailable'].includes(report?.status)) health.push(`getHealth().status is ${JSON.stringify(report?.status)}`);
  } catch (error) {
    health.push(`threw: ${(error as Error).message}`);
  }
  add('health', health, 'isAvailable() and getHealth() answer');
  return checks;
}

/**
 * Checks the provider in a folder: manifest, build, load, spec shape, declared vs implemented
 * capabilities, a valid asset from every capability, typed errors, health.
 */
export async function runConformance(folder: string, options: { config?: Readonly<Record<string, unknown>>; env?: NodeJS.ProcessEnv } = {}): Promise<ConformanceReport> {
  const checks: ConformanceCheck[] = [];
  const steps: Record<string, string> = { manifest: 'MediaConduit.provider.yml is valid', build: 'esbuild bundled the entry', load: 'imported, created and initialised' };
  let reached = 0;
  let loaded: FolderProvider;
  try {
    loaded = await loadProviderFromFolder(folder, {
      ...options,
      skipValidation: true,
      onStep: (step, error) => {
        reached++;
        checks.push(
          error === undefined
            ? { name: step, status: 'passed', message: steps[step]! }
            : { name: step, status: 'failed', message: error instanceof Error ? error.message : String(error), hint: HINTS[step]! },
        );
      },
    });
  } catch {
    for (const step of Object.keys(steps).slice(reached)) checks.push({ name: step, status: 'skipped', message: 'an earlier step failed' });
    return { target: folder, checks, ok: false };
  }
  try {
    checks.push(...(await checkProvider(loaded.provider, loaded.manifest)));
  } finally {
    await loaded.close();
  }
  return { target: folder, provider: `${loaded.manifest.id} ${loaded.manifest.version}`, checks, ok: checks.every((c) => c.status === 'passed') };
}

/** A readable report: one line per check, a fix hint under each failure, and a summary. */
export function formatConformanceReport(report: ConformanceReport): string {
  const mark = { passed: '✓', failed: '✗', skipped: '-' } as const;
  const lines = [`MediaConduit conformance: ${report.provider ?? '(provider not loaded)'} at ${report.target}`];
  for (const check of report.checks) {
    lines.push(`  ${mark[check.status]} ${check.name.padEnd(18)} ${check.message.split('\n').join(`\n${' '.repeat(23)}`)}`);
    if (check.hint) lines.push(`      fix: ${check.hint}`);
  }
  const count = (status: ConformanceCheck['status']) => report.checks.filter((c) => c.status === status).length;
  lines.push(`${report.checks.length} checks: ${count('passed')} passed, ${count('failed')} failed${count('skipped') ? `, ${count('skipped')} skipped` : ''}`);
  return lines.join('\n');
}
