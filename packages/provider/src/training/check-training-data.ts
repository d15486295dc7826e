import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { readImageInfo, wholeImageProblem } from '../assets/image-info.js';
import { MediaConduitError } from '../errors/mediaconduit-error.js';

/** The kinds of training data: pictures (image LoRAs) or JSONL examples (language-model LoRAs). */
export type TrainingDataKind = 'images' | 'jsonl';

/** Limits of {@link checkTrainingData}; every one has a documented default. */
export interface TrainingDataLimits {
  /** Most files in one job. Default: 200 images, 1 JSONL file. */
  maxFiles?: number;
  /** Largest file, in bytes. Default: 20 MiB per image, 100 MiB per JSONL file. */
  maxFileBytes?: number;
  /** Fewer images than this gives a warning (not an error). Default 5. */
  recommendedImages?: number;
  /** A shorter image side than this gives a warning. Default 512. */
  recommendedMinSide?: number;
}

/** One checked file. */
export interface CheckedTrainingFile {
  /** Absolute path. */
  path: string;
  name: string;
  bytes: number;
  /** `png`, `jpeg`, `webp` or `jsonl`. */
  format: string;
  width?: number;
  height?: number;
  /** Examples in a JSONL file. */
  examples?: number;
  /** The image's caption (`x.txt` beside `x.png`), when the provider takes captions and one exists. */
  caption?: string;
  /** The file's contents, as read for the check (upload these bytes, so what was checked is what is sent). */
  contents: Uint8Array;
}

/** The result of {@link checkTrainingData}. */
export interface CheckedTrainingData {
  kind: TrainingDataKind;
  files: CheckedTrainingFile[];
  warnings: string[];
}

/** Options of {@link checkTrainingData}. */
export interface CheckTrainingDataOptions {
  /** Names the caller in messages, e.g. `together training`. */
  label: string;
  /** The kinds the provider trains on. */
  accept: readonly TrainingDataKind[];
  /** What to say when the data is of a kind the provider does not train on (an `UNSUPPORTED` error). */
  unsupported: (kind: TrainingDataKind) => string;
  limits?: TrainingDataLimits;
  /**
   * Image captions: a `.txt` file with an image's base name, beside it (`cat.txt` for `cat.png`),
   * is read as that image's caption (UTF-8, at most 16 KiB). A `.txt` file with no image of its
   * name is a problem. Default false: `.txt` files are not training data.
   */
  captions?: boolean;
}

const IMAGE_EXTENSIONS: Readonly<Record<string, string>> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const MAX_PROBLEMS = 20;
const MAX_CAPTION_BYTES = 16 * 1024;

/**
 * Checks training data before anything is uploaded: every file exists and is readable, is a PNG,
 * JPEG or WebP image that is whole (not truncated, no bad PNG chunk), or a JSONL file whose every
 * line is an example in one of the known shapes; counts and sizes are within limits. Every problem
 * is reported at once, in one `INVALID_INPUT` naming each file; data of a kind the provider does
 * not train on is `UNSUPPORTED`. Folders stand for the files in them (not recursively; hidden files skipped).
 */
export async function checkTrainingData(data: string | readonly string[], options: CheckTrainingDataOptions): Promise<CheckedTrainingData> {
  const { label } = options;
  const entries = typeof data === 'string' ? [data] : [...(Array.isArray(data) ? data : [])];
  if (entries.length === 0 || entries.some((e) => typeof e !== 'string' || e === '')) {
    throw invalid(label, 'data must name at least one file or folder (a path string, or an array of them)', []);
  }
  const problems: { file: string; problem: string }[] = [];
  const paths: string[] = [];
  /** What a folder holds that is not read: said, so that a picture left in a subfolder is not lost unnoticed. */
  const skipped: string[] = [];
  for (const entry of entries) {
    const path = resolve(entry);
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => error);
    if (info instanceof Error) {
      problems.push({ file: entry, problem: info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.code ?? info.message})` });
    } else if (info.isDirectory()) {
      const names = await readdir(path).catch((error: NodeJS.ErrnoException) => error);
      if (names instanceof Error) problems.push({ file: entry, problem: `folder cannot be read (${names.code ?? names.message})` });
      else {
        const visible = names.filter((n) => !n.startsWith('.')).sort();
        let found = 0;
        const skippedBefore = skipped.length;
        for (const name of visible) {
          const child = join(path, name);
          const childInfo = await stat(child).catch(() => undefined);
          if (childInfo?.isFile()) {
            paths.push(child);
            found++;
          } else if (childInfo?.isDirectory())
            skipped.push(`${join(entry, name)}/ is a folder and was not read (folders are not read recursively: pass it too, or move its files up)`);
          else skipped.push(`${join(entry, name)} is not a regular file (or a link to one) and was skipped`);
        }
        if (found === 0) {
          skipped.length = skippedBefore; // the problem below says it

          problems.push({
            file: entry,
            problem: visible.length === 0 ? 'folder is empty' : 'folder has no files, only subfolders or special files (subfolders are not read: pass them, or move the files up)',
          });
        }
      }
    } else if (info.isFile()) paths.push(path);
    else problems.push({ file: entry, problem: 'is neither a file nor a folder' });
  }

  // Captions are set aside (each must belong to an image); every other file is training data.
  const captionFiles = new Set<string>();
  if (options.captions) {
    for (const path of paths) if (extname(path).toLowerCase() === '.txt') captionFiles.add(path);
    for (const caption of captionFiles) paths.splice(paths.indexOf(caption), 1);
    if (paths.length === 0) for (const caption of captionFiles) problems.push({ file: caption, problem: 'a caption with no image of its name beside it' });
  }

  // Every file is checked, whatever else is wrong: one error names every problem.
  const kindOf = (path: string): TrainingDataKind | undefined => {
    const extension = extname(path).toLowerCase();
    return extension === '.jsonl' ? 'jsonl' : IMAGE_EXTENSIONS[extension] ? 'images' : undefined;
  };
  for (const path of paths) {
    if (!kindOf(path)) {
      problems.push({ file: path, problem: `wrong format: "${extname(path) || 'no extension'}"; training data is .png, .jpg, .jpeg or .webp images, or .jsonl examples` });
    }
  }
  const kinds = new Set(paths.map(kindOf).filter((k): k is TrainingDataKind => k !== undefined));
  if (kinds.size > 1) problems.push({ file: '(all)', problem: 'the data mixes images and JSONL files; one job trains on one kind' });
  const kind = kinds.size === 1 ? [...kinds][0]! : undefined;
  if (kind !== undefined && !options.accept.includes(kind)) {
    if (problems.length === 0) throw new MediaConduitError({ code: 'UNSUPPORTED', message: `${label}: ${options.unsupported(kind)}`, details: { kind } });
    problems.push({ file: '(all)', problem: options.unsupported(kind) });
  }
  if (kind === undefined || !options.accept.includes(kind)) throw invalid(label, 'the training data failed its checks; nothing was uploaded', problems);

  const limits = options.limits ?? {};
  const maxFiles = limits.maxFiles ?? (kind === 'images' ? 200 : 1);
  const maxBytes = limits.maxFileBytes ?? (kind === 'images' ? 20 * 2 ** 20 : 100 * 2 ** 20);
  if (paths.length > maxFiles) {
    problems.push({ file: '(all)', problem: `too many files: ${paths.length}, at most ${maxFiles} ${kind === 'images' ? 'images' : 'JSONL file(s)'} per job` });
  }
  const files: CheckedTrainingFile[] = [];
  const warnings: string[] = [...skipped];
  for (const path of paths) {
    if (kindOf(path) !== kind) continue; // already a problem
    const name = basename(path);
    const size = (await stat(path)).size;
    if (size > maxBytes) {
      problems.push({ file: path, problem: `size over the limit: ${formatBytes(size)}, at most ${formatBytes(maxBytes)}` });
      continue;
    }
    const contents = await readFile(path).catch((error: NodeJS.ErrnoException) => error);
    if (contents instanceof Error) {
      problems.push({ file: path, problem: `cannot be read (${contents.code ?? contents.message})` });
      continue;
    }
    if (kind === 'images') {
      const problem = imageProblem(contents, IMAGE_EXTENSIONS[extname(path).toLowerCase()]!);
      if (problem) {
        problems.push({ file: path, problem });
        continue;
      }
      const image = readImageInfo(contents)!;
      const side = Math.min(image.width, image.height);
      if (side < (limits.recommendedMinSide ?? 512))
        warnings.push(`${name} is ${image.width}×${image.height}; images of at least ${limits.recommendedMinSide ?? 512} px a side train better`);
      const caption = options.captions ? await readCaption(path, problems) : undefined;
      files.push({
        path,
        name,
        bytes: size,
        format: image.mimeType.slice(6),
        width: image.width,
        height: image.height,
        contents,
        ...(caption === undefined ? {} : { caption }),
      });
    } else {
      const checked = jsonlProblems(contents);
      for (const problem of checked.problems) problems.push({ file: path, problem });
      if (checked.problems.length === 0) files.push({ path, name, bytes: size, format: 'jsonl', examples: checked.examples, contents });
    }
  }
  for (const caption of captionFiles) {
    const stem = caption.slice(0, -extname(caption).length);
    if (!files.some((f) => f.path.slice(0, -extname(f.path).length) === stem) && !problems.some((p) => p.file.startsWith(`${stem}.`))) {
      problems.push({ file: caption, problem: `a caption with no image of its name beside it (expected ${basename(stem)}.png, .jpg, .jpeg or .webp)` });
    }
  }
  if (problems.length > 0) throw invalid(label, 'the training data failed its checks; nothing was uploaded', problems);
  const recommended = limits.recommendedImages ?? 5;
  if (kind === 'images' && files.length < recommended) warnings.unshift(`only ${files.length} image(s); ${recommended} or more give a LoRA that generalises`);
  return { kind, files, warnings };
}

/** The caption beside the image at `path` (`x.txt` for `x.png`), if there is one; its problems go to `problems`. */
async function readCaption(path: string, problems: { file: string; problem: string }[]): Promise<string | undefined> {
  const file = join(dirname(path), `${basename(path, extname(path))}.txt`);
  const info = await stat(file).catch(() => undefined);
  if (!info) return undefined;
  if (!info.isFile()) {
    problems.push({ file, problem: 'a caption must be a file' });
    return undefined;
  }
  if (info.size > MAX_CAPTION_BYTES) {
    problems.push({ file, problem: `caption too long: ${formatBytes(info.size)}, at most ${formatBytes(MAX_CAPTION_BYTES)}` });
    return undefined;
  }
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => error);
  if (text instanceof Error) {
    problems.push({ file, problem: `cannot be read (${text.code ?? text.message})` });
    return undefined;
  }
  if (text.includes('\uFFFD')) problems.push({ file, problem: 'a caption must be UTF-8 text' });
  else if (text.trim() === '') problems.push({ file, problem: 'the caption is empty (delete it, or write what the picture shows)' });
  else return text.trim();
  return undefined;
}

/** Why `bytes` is not a whole image of `expected` format, or undefined. */
function imageProblem(bytes: Buffer, expected: string): string | undefined {
  const info = readImageInfo(bytes);
  if (!info) return `unreadable or corrupt image: not a ${expected.toUpperCase()} file (first bytes ${bytes.subarray(0, 8).toString('hex') || 'none'})`;
  const actual = info.mimeType.slice(6);
  if (actual === 'gif') return 'wrong format: a GIF image; training images are PNG, JPEG or WebP';
  if (actual !== expected) return `wrong format: the file is a ${actual.toUpperCase()} image but is named .${expected === 'jpeg' ? 'jpg' : expected}`;
  return wholeImageProblem(bytes);
}

/** Problems of a JSONL training file (at most a few per file), and its example count. */
function jsonlProblems(contents: Buffer): { problems: string[]; examples: number } {
  const problems: string[] = [];
  let examples = 0;
  const text = contents.toString('utf8');
  if (text.includes('\uFFFD')) problems.push('not valid JSONL: the file is not UTF-8 text');
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (problems.length >= 5) {
      problems.push('… (more lines have problems)');
      break;
    }
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`not valid JSONL: line ${index + 1} is not JSON (${(error as Error).message})`);
      continue;
    }
    const shape = exampleProblem(value);
    if (shape) problems.push(`not valid JSONL: line ${index + 1} ${shape}`);
    else examples++;
  }
  if (problems.length === 0 && examples === 0) problems.push('not valid JSONL: the file holds no examples');
  return { problems, examples };
}

/** Why a JSONL line is not a training example, or undefined. */
function exampleProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const o = value as Record<string, unknown>;
  if (typeof o.text === 'string') return undefined;
  if (typeof o.prompt === 'string' && typeof o.completion === 'string') return undefined;
  if (Array.isArray(o.messages)) {
    const bad = o.messages.findIndex(
      (m) => typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string' || typeof (m as { content?: unknown }).content !== 'string',
    );
    return bad === -1 ? (o.messages.length === 0 ? 'has an empty "messages" list' : undefined) : `has a message (${bad}) without a string "role" and "content"`;
  }
  if ('input' in o && 'preferred_output' in o && 'non_preferred_output' in o) return undefined;
  return 'is not an example: expected {"text"}, {"messages": [{"role", "content"}]}, {"prompt", "completion"}, or {"input", "preferred_output", "non_preferred_output"}';
}

function invalid(label: string, what: string, problems: { file: string; problem: string }[], extra: Record<string, unknown> = {}): MediaConduitError {
  const shown = problems.slice(0, MAX_PROBLEMS).map((p) => `  - ${p.file}: ${p.problem}`);
  if (problems.length > MAX_PROBLEMS) shown.push(`  - … and ${problems.length - MAX_PROBLEMS} more`);
  return new MediaConduitError({
    code: 'INVALID_INPUT',
    message: `${label}: ${what}${shown.length > 0 ? `:\n${shown.join('\n')}` : ''}`,
    details: { problems, ...extra },
  });
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}
