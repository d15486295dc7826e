import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { MediaConduitError, type Capability, type MediaAsset, type MediaProviderV1 } from '@mediaconduit/provider';
import { parseCallOptions } from '../call-options.js';
import type { Context, RegistryFlags } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { formatBytes, formatMs, printable } from '../io.js';

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
  if (ctx.json && flags.output === '-') {
    throw new UsageError('--json writes one JSON document on stdout, so the result cannot go there too; pass -o <file> with --json, or leave out --json', 'run');
  }
  // With --capability, the options are read (and a bad one refused) before anything loads.
  const given = flags.capability === undefined ? undefined : parseCallOptions(flags.opt ?? [], flags.capability as Capability);
  if (flags.output !== undefined && flags.output !== '-') ctx.pathFlag('-o', flags.output);
  const registry = await ctx.registry(flags);
  const provider = await ctx.loadProvider(registry, specifier, flags);
  const capability = await capabilityOf(provider, modelId, flags.capability, ctx.signal);
  const call = { ...(given ?? parseCallOptions(flags.opt ?? [], capability)), signal: ctx.signal };
  // Before the call (which may cost money): a file the result cannot go into is a usage error now.
  if (flags.output !== undefined && flags.output !== '-') checkOutput(ctx, flags.output, capability);
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
          // To a terminal, what the model wrote is shown, not acted on; into a pipe or file it goes as it is.
          ctx.io.stdout.write(ctx.io.stdout.isTTY ? printable(part.text) : part.text);
          ended = part.text;
        } else usage = part.usage;
      }
      if (!ended.endsWith('\n')) ctx.io.stdout.write('\n');
      // For people at a terminal: what the call took. In a pipe or CI nothing (--debug logs every call).
      if (ctx.io.stderr.isTTY) ctx.progress.print(`${modelId}: ${formatMs(performance.now() - started)}${usage ? ` ${JSON.stringify(usage)}` : ''}`);
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
      const mimeType = AUDIO_TYPES[extname(fileName).toLowerCase()] ?? sniffAudio(data);
      if (!mimeType) {
        throw new UsageError(
          input === '-'
            ? `the audio on stdin is not one of WAV, MP3, MP4/M4A, Ogg, FLAC or WebM (read from its first bytes)`
            : `the audio file "${input}" should end in one of ${Object.keys(AUDIO_TYPES).join(', ')}, or hold one of those formats`,
          'run',
        );
      }
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

/**
 * The audio format from the first bytes, for audio read from stdin (or a file whose name says
 * nothing): RIFF/WAVE, ID3 or an MPEG frame, an ISO `ftyp` box, Ogg, FLAC, and Matroska/WebM.
 */
export function sniffAudio(data: Uint8Array): string | undefined {
  const ascii = (from: number, length: number) => Buffer.from(data.subarray(from, from + length)).toString('latin1');
  if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WAVE') return 'audio/wav';
  if (ascii(0, 3) === 'ID3' || (data[0] === 0xff && ((data[1] ?? 0) & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (ascii(4, 4) === 'ftyp') return 'audio/mp4';
  if (ascii(0, 4) === 'OggS') return 'audio/ogg';
  if (ascii(0, 4) === 'fLaC') return 'audio/flac';
  if (data[0] === 0x1a && data[1] === 0x45 && data[2] === 0xdf && data[3] === 0xa3) return 'audio/webm';
  return undefined;
}

const AUDIO_NAMES: Record<string, string> = {
  'audio/wav': 'audio.wav',
  'audio/mpeg': 'audio.mp3',
  'audio/mp4': 'audio.m4a',
  'audio/ogg': 'audio.ogg',
  'audio/flac': 'audio.flac',
  'audio/webm': 'audio.webm',
};

async function bytesInput(ctx: Context, input: string): Promise<{ data: Uint8Array; fileName: string }> {
  if (input === '-') {
    const data = await readAll(ctx);
    if (data.byteLength === 0) throw new UsageError('stdin is empty; pipe the audio in (mediaconduit run <spec> <model> - < talk.wav), or give the file', 'run');
    return { data, fileName: AUDIO_NAMES[sniffAudio(data) ?? ''] ?? 'audio' };
  }
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

const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

/**
 * Refuses an `-o` the result cannot go into: a folder, or a file named for the other kind of media
 * (`-o fox.wav` for an image). A format of the right kind (`.jpg` for a model that makes PNG) is
 * written, with a warning once the format is known.
 */
function checkOutput(ctx: Context, output: string, capability: Capability): void {
  const path = resolve(ctx.io.cwd, output);
  // (A path through a file, or one that cannot be read, is left to the write, which names what is wrong.)
  let existing: ReturnType<typeof statSync>;
  try {
    existing = statSync(path, { throwIfNoEntry: false });
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) {
    throw new UsageError(`-o ${output} is a folder; name a file in it (for example -o ${join(output, capability === 'text-to-audio' ? 'speech.wav' : 'image.png')})`, 'run');
  }
  const extension = extname(path).toLowerCase();
  const isImage = IMAGE_EXTENSIONS.includes(extension);
  const isAudio = extension in AUDIO_TYPES || extension === '.pcm';
  if (capability === 'text-to-image' && isAudio) throw new UsageError(`-o ${output}: a text-to-image model makes an image; name the file .png, .jpg or .webp`, 'run');
  if (capability === 'text-to-audio' && isImage) throw new UsageError(`-o ${output}: a text-to-audio model makes audio; name the file .wav, .mp3 or what the model writes`, 'run');
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
    const written = await asset.save(path);
    const natural = EXTENSIONS[asset.mimeType];
    const given = extname(path).toLowerCase().slice(1);
    if (output !== undefined && natural && given !== natural && !(natural === 'jpg' && given === 'jpeg')) {
      ctx.progress.log(`warning: ${path} holds ${asset.mimeType}, which its name does not say; rename it to .${natural}`);
    }
    return written;
  } catch (error) {
    if (MediaConduitError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new MediaConduitError({
      code: 'FILE_SYSTEM_ERROR',
      message: `cannot write ${path}: ${code === 'ENOSPC' ? 'no space left on the device' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : code === 'ENOENT' ? 'its folder does not exist' : (error as Error).message}`,
      details: { path, ...(code ? { errno: code } : {}) },
      cause: error,
    });
  }
}
