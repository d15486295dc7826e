import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { MediaConduitError, type Capability, type MediaAsset, type MediaProviderV1 } from '@mediaconduit/provider';
import { parsePairs, type Context, type RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatBytes, formatMs } from '../io.js';

/** Flags of `run`. */
export interface RunFlags extends RegistryFlags {
  output?: string;
  opt?: string[];
  capability?: string;
}

const AUDIO_TYPES: Record<string, string> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.mp4': 'audio/mp4',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.flac': 'audio/flac',
  '.webm': 'audio/webm',
};
const EXTENSIONS: Record<string, string> = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/webp': 'webp', 'audio/wav': 'wav', 'audio/mpeg': 'mp3', 'audio/pcm': 'pcm' };

/**
 * `mediaconduit run <spec> <model> <input>`: one call of a model. Text streams to stdout as it
 * arrives; images and audio are written to `-o` (or a new file named after the kind and the time,
 * or stdout for `-o -`); a transcription's input is an audio file; an embedding prints its vector.
 */
export async function runCommand(ctx: Context, specifier: string, modelId: string, input: string, flags: RunFlags): Promise<number> {
  const options = parsePairs(flags.opt ?? [], '--opt');
  const registry = await ctx.registry(flags);
  const config = ctx.config(flags);
  const provider = await registry.getProvider(ctx.spec(specifier), config ? { config, signal: ctx.signal } : { signal: ctx.signal });
  const capability = await capabilityOf(provider, modelId, flags.capability, ctx.signal);
  const call = { ...options, signal: ctx.signal };
  const started = performance.now();
  switch (capability) {
    case 'text-to-text': {
      const model = await provider.getModel(modelId, { capability });
      const prompt = await textInput(ctx, input);
      if (ctx.json || flags.output) {
        const text = await model.transform(prompt, call);
        ctx.progress.stop();
        if (flags.output) await save(ctx, text, flags.output, 'text');
        ctx.out.result({ capability, model: modelId, text: text.text, metadata: text.metadata, ...(flags.output ? { file: resolve(ctx.io.cwd, flags.output) } : {}) });
        if (!flags.output) ctx.out.line(text.text);
        return EXIT.OK;
      }
      ctx.progress.stop();
      let usage: unknown;
      let ended = '';
      for await (const part of model.stream(prompt, call)) {
        if (part.type === 'text-delta') {
          ctx.io.stdout.write(part.text);
          ended = part.text;
        } else usage = part.usage;
      }
      if (!ended.endsWith('\n')) ctx.io.stdout.write('\n');
      ctx.progress.print(`${modelId}: ${formatMs(performance.now() - started)}${usage ? ` ${JSON.stringify(usage)}` : ''}`);
      return EXIT.OK;
    }
    case 'text-to-image': {
      const model = await provider.getModel(modelId, { capability });
      const image = await model.transform(await textInput(ctx, input), call);
      const file = await save(ctx, image, flags.output, 'image');
      ctx.out.result({
        capability,
        model: modelId,
        file,
        width: image.width,
        height: image.height,
        mimeType: image.mimeType,
        bytes: image.bytes.byteLength,
        metadata: image.metadata,
      });
      if (file) ctx.out.line(`wrote ${file}: ${image.width}×${image.height} ${image.mimeType}, ${formatBytes(image.bytes.byteLength)}, ${formatMs(performance.now() - started)}`);
      return EXIT.OK;
    }
    case 'text-to-audio': {
      const model = await provider.getModel(modelId, { capability });
      const audio = await model.transform(await textInput(ctx, input), call);
      const file = await save(ctx, audio, flags.output, 'speech');
      const seconds = audio.durationSeconds;
      ctx.out.result({
        capability,
        model: modelId,
        file,
        mimeType: audio.mimeType,
        bytes: audio.bytes.byteLength,
        durationSeconds: seconds,
        sampleRate: audio.sampleRate,
        metadata: audio.metadata,
      });
      if (file)
        ctx.out.line(
          `wrote ${file}: ${seconds === undefined ? '' : `${seconds.toFixed(2)} s of `}${audio.mimeType}${audio.sampleRate ? ` at ${audio.sampleRate} Hz` : ''}, ${formatBytes(audio.bytes.byteLength)}`,
        );
      return EXIT.OK;
    }
    case 'audio-to-text': {
      const model = await provider.getModel(modelId, { capability });
      const { data, fileName } = await bytesInput(ctx, input);
      const mimeType = AUDIO_TYPES[extname(fileName).toLowerCase()];
      if (!mimeType) throw new UsageError(`the audio file "${input}" should end in one of ${Object.keys(AUDIO_TYPES).join(', ')}`, 'run');
      const text = await model.transform({ data, mimeType, fileName }, call);
      ctx.progress.stop();
      if (flags.output) await save(ctx, text, flags.output, 'text');
      ctx.out.result({ capability, model: modelId, text: text.text, metadata: text.metadata });
      if (!flags.output) ctx.out.line(text.text);
      return EXIT.OK;
    }
    case 'text-to-embedding': {
      const model = await provider.getModel(modelId, { capability });
      const embedding = await model.transform(await textInput(ctx, input), call);
      ctx.progress.stop();
      if (flags.output) await save(ctx, embedding, flags.output, 'embedding');
      ctx.out.result({ capability, model: modelId, dimensions: embedding.values.length, values: embedding.values, metadata: embedding.metadata });
      if (flags.output) ctx.out.line(`wrote ${resolve(ctx.io.cwd, flags.output)}: ${embedding.values.length} dimensions`);
      else ctx.out.line(JSON.stringify(embedding.values));
      return EXIT.OK;
    }
  }
}

/** The model's capability: `--capability`, else what the provider lists for it. */
async function capabilityOf(provider: MediaProviderV1, id: string, given: string | undefined, signal: AbortSignal): Promise<Capability> {
  if (given !== undefined) {
    if (!provider.capabilities.includes(given as Capability)) {
      throw new UsageError(`--capability "${given}" is not one of what ${provider.id} offers: ${provider.capabilities.join(', ')}`, 'run');
    }
    return given as Capability;
  }
  const info = (await provider.listModels({ signal })).find((m) => m.id === id);
  if (info?.capability) return info.capability;
  // Not listed (a fine-tuned model, for example): the provider may still serve it.
  return (await provider.getModel(id, { signal })).capability;
}

async function textInput(ctx: Context, input: string): Promise<string> {
  const text = input === '-' ? Buffer.from(await readAll(ctx)).toString('utf8') : input;
  if (text.trim() === '') throw new UsageError('the input is empty; give the prompt as an argument (quoted), or - to read it from stdin', 'run');
  return text;
}

async function bytesInput(ctx: Context, input: string): Promise<{ data: Uint8Array; fileName: string }> {
  if (input === '-') throw new UsageError('a transcription reads an audio file; give its path (its extension says its format)', 'run');
  const path = resolve(ctx.io.cwd, input);
  try {
    return { data: new Uint8Array(await readFile(path)), fileName: basename(path) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MediaConduitError({
      code: 'INVALID_INPUT',
      message: `cannot read the audio file ${path} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable')})`,
      cause: error,
    });
  }
}

async function readAll(ctx: Context): Promise<Uint8Array> {
  if (!ctx.io.stdin) throw new UsageError('no standard input to read from', 'run');
  const chunks: Uint8Array[] = [];
  for await (const chunk of ctx.io.stdin) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes the asset to `output` (`-`: stdout), or to a new file in the current folder; resolves to the path written. */
async function save(ctx: Context, asset: MediaAsset, output: string | undefined, kind: string): Promise<string | undefined> {
  ctx.progress.stop();
  if (output === '-') {
    ctx.io.stdout.write(asset.toBytes());
    return undefined;
  }
  let path: string;
  if (output !== undefined) path = resolve(ctx.io.cwd, output);
  else {
    const ext = EXTENSIONS[asset.mimeType] ?? (asset.kind === 'text' ? 'txt' : asset.kind === 'embedding' ? 'json' : 'bin');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    path = resolve(ctx.io.cwd, `${kind}-${stamp}.${ext}`);
    for (let n = 2; existsSync(path); n++) path = resolve(ctx.io.cwd, `${kind}-${stamp}-${n}.${ext}`);
  }
  try {
    return await asset.save(path);
  } catch (error) {
    if (MediaConduitError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new MediaConduitError({
      code: 'FILE_SYSTEM_ERROR',
      message: `cannot write ${path}: ${code === 'ENOSPC' ? 'no space left on the device' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message}`,
      cause: error,
    });
  }
}
