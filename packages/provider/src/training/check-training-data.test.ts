import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaConduitError } from '../errors/mediaconduit-error.js';
import { encodePng } from '../media/png.js';
import { checkTrainingData } from './check-training-data.js';

let work: string;
const picture = () => encodePng(512, 512, new Uint8Array(512 * 512 * 3).fill(7));
const images = { label: 'test training', accept: ['images'] as const, unsupported: () => 'pictures only' };

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-check-training-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function folder(name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [file, contents] of Object.entries(files)) await writeFile(join(dir, file), contents);
  return dir;
}

async function problems(promise: Promise<unknown>): Promise<string[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!MediaConduitError.isInstance(error)) throw new Error(`expected a MediaConduitError, got ${String(error)}`);
  return (error.details as { problems: { file: string; problem: string }[] }).problems.map((p) => `${p.file.slice(work.length + 1)}: ${p.problem}`);
}

describe('checkTrainingData with captions', () => {
  it('reads x.txt beside x.png as its caption, trimmed, from a folder or beside a file named alone', async () => {
    const dir = await folder('paired', { 'a.png': picture(), 'a.txt': '  a photo of TOK  \n', 'b.png': picture() });
    const checked = await checkTrainingData(dir, { ...images, captions: true });
    expect(checked.files.map((f) => [f.name, f.caption])).toEqual([
      ['a.png', 'a photo of TOK'],
      ['b.png', undefined],
    ]);
    expect((await checkTrainingData(join(dir, 'a.png'), { ...images, captions: true })).files[0]!.caption).toBe('a photo of TOK');
  });

  it('names each bad caption: empty, too long, or with no picture of its name; a folder of captions only', async () => {
    const dir = await folder('bad', { 'a.png': picture(), 'a.txt': ' \n', 'b.png': picture(), 'b.txt': 'x'.repeat(17 * 1024), 'c.txt': 'lonely' });
    expect(await problems(checkTrainingData(dir, { ...images, captions: true }))).toEqual([
      'bad/a.txt: the caption is empty (delete it, or write what the picture shows)',
      'bad/b.txt: caption too long: 17.0 KiB, at most 16.0 KiB',
      'bad/c.txt: a caption with no image of its name beside it (expected c.png, .jpg, .jpeg or .webp)',
    ]);
    const only = await folder('only-captions', { 'a.txt': 'one', 'b.txt': 'two' });
    expect(await problems(checkTrainingData(only, { ...images, captions: true }))).toEqual([
      'only-captions/a.txt: a caption with no image of its name beside it',
      'only-captions/b.txt: a caption with no image of its name beside it',
    ]);
  });

  it('without captions, a .txt file is not training data', async () => {
    const dir = await folder('no-captions', { 'a.png': picture(), 'a.txt': 'a caption' });
    expect(await problems(checkTrainingData(dir, images))).toEqual([expect.stringMatching(/^no-captions\/a\.txt: wrong format: "\.txt"/)]);
  });
});

describe('checkTrainingData on what a folder holds besides its pictures', () => {
  it('warns of each subfolder and special file it does not read, rather than dropping them unnoticed', async () => {
    const dir = await folder('mixed', { 'a.png': picture(), 'b.png': picture() });
    await mkdir(join(dir, 'more'));
    await writeFile(join(dir, 'more', 'c.png'), picture());
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [join(dir, 'pipe.png')]);
    const checked = await checkTrainingData(dir, images);
    expect(checked.files.map((f) => f.name)).toEqual(['a.png', 'b.png']);
    expect(checked.warnings).toContain(`${join(dir, 'more')}/ is a folder and was not read (folders are not read recursively: pass it too, or move its files up)`);
    expect(checked.warnings).toContain(`${join(dir, 'pipe.png')} is not a regular file (or a link to one) and was skipped`);
  });
});
