// The `mediaconduit` command as a new user runs it: the installed bin (node_modules/.bin of this
// workspace), in child processes without a terminal, against providers committed to local Git
// repositories and the fake Together server on 127.0.0.1.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '@mediaconduit/core';
import { type FakeFalServer, startFakeFal } from '@mediaconduit/fal-provider/testing';
import { checkPng, checkWav, createTestRepo, echoProviderFiles, type NpmRegistry, type TestRepo } from '@mediaconduit/testing';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { commitProviders, startFalDependencies } from './support/provider-repo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'node_modules/.bin/mediaconduit');
const API_KEY = 'cli-test-secret-key-7f3a9c';
let work: string;
let MOCK: string;
let TOGETHER: string;
let FAL: string;
let npm: NpmRegistry;
let echo: TestRepo;
let fake: FakeTogetherServer;

interface Run {
  code: number;
  out: string;
  err: string;
}

/** `mediaconduit …args` in `work`, with its own cache and lockfile unless the args name others. */
function cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<Run> {
  const env = { PATH: process.env.PATH ?? '', HOME: work, MEDIACONDUIT_CACHE_DIR: join(work, 'cache'), MEDIACONDUIT_LOCKFILE: join(work, 'lock.json'), ...options.env };
  return new Promise((resolve, reject) => {
    execFile(BIN, [...args], { cwd: options.cwd ?? work, env, timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`${args.join(' ')}: ${error.message}\n${stderr}`));
      resolve({ code: error ? (error.code as number) : 0, out: String(stdout), err: String(stderr) });
    });
  });
}
const json = <T = Record<string, unknown>>(run: Run): T => JSON.parse(run.out) as T;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'mc-cli-'));
  npm = await startFalDependencies();
  ({ MOCK, TOGETHER, FAL } = await commitProviders(work, { fal: npm }));
  echo = await createTestRepo('echo');
  await echo.commit(echoProviderFiles({ version: '1.0.0' }));
  await echo.tag('v1.0.0');
  fake = await startFakeTogether({ apiKey: API_KEY });
}, 60_000);

afterAll(async () => {
  await fake?.close();
  await npm?.close();
  await echo?.remove();
  await rm(work, { recursive: true, force: true });
});

describe('mediaconduit: the command line itself', () => {
  it('prints its versions, as text and as JSON', async () => {
    expect((await cli(['--version'])).out).toMatch(/^mediaconduit 0\.1\.0 \(@mediaconduit\/core 0\.1\.0, provider contract 0\.1\.0, node \d+\.\d+\.\d+\)\n$/);
    expect(json(await cli(['--version', '--json']))).toEqual({ cli: '0.1.0', core: '0.1.0', contract: '0.1.0', node: process.versions.node });
  });

  it("prints a command's own help for <command> --help, and the overview with examples and exit codes for --help", async () => {
    const load = await cli(['load', '--help']);
    expect(load.code).toBe(0);
    expect(load.out).toMatch(/^Usage: mediaconduit load \[options\] <spec>/);
    expect(load.out).toContain('--offline');
    const verify = await cli(['cache', 'verify', '--help']);
    expect(verify.out).toMatch(/^Usage: mediaconduit cache verify \[options\]/);
    expect(verify.out).toContain('--fix');
    const overview = await cli(['--help']);
    expect(overview.out).toMatch(/Exit codes: 0 done; 1 failed with a typed error/);
    expect(overview.out).toMatch(/-q, --quiet/);
    for (const command of ['load', 'models', 'run', 'lock', 'update', 'cache', 'validate', 'init', 'bench', 'train']) expect(overview.out).toMatch(new RegExp(`\\n  ${command} `));
  });

  it('suggests the command meant by a typo, and exits 2 with one line', async () => {
    const typo = await cli(['lod', 'file:///x']);
    expect(typo).toEqual({
      code: 2,
      out: '',
      err: `error USAGE: unknown command 'lod'; did you mean load? (hint: run "mediaconduit --help" for usage)\n`,
    });
  });

  it('refuses unknown flags with a suggestion, and flags of other commands naming where they belong', async () => {
    expect((await cli(['cache', 'verify', '--fxi'])).err).toBe(
      `error USAGE: unknown option '--fxi'; did you mean --fix? (hint: run "mediaconduit cache verify --help" for usage)\n`,
    );
    const misplaced = await cli(['load', echo.url, '--fix']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toBe(`error USAGE: unknown option '--fix'; --fix is an option of: cache verify (hint: run "mediaconduit load --help" for usage)\n`);
    const extra = await cli(['load', echo.url, 'second']);
    expect(extra.code).toBe(2);
    expect(extra.err).toMatch(/too many arguments for 'load'\. Expected 1 argument but got 2/);
    expect(existsSync(join(work, 'cache'))).toBe(false); // nothing ran
  });

  it('gives usage errors as JSON with --json', async () => {
    const run = await cli(['models', echo.url, '--capability', 'text-to-video', '--json']);
    expect(run.code).toBe(2);
    expect(json(run)).toEqual({
      error: {
        code: 'USAGE',
        message: expect.stringMatching(/argument 'text-to-video' is invalid\. Allowed choices are text-to-text, /),
        hint: 'run "mediaconduit models --help" for usage',
      },
    });
  });
});

describe('mediaconduit load, models, lock, update and cache', () => {
  it('loads a provider, printing each step as a plain line when stderr is not a terminal', async () => {
    const run = await cli(['load', `${echo.url}@v1.0.0`]);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Echo Provider \(echo, local\) 1\.0\.0 at [0-9a-f]{12}, loaded in \d+ ms\n {2}text-to-text: echo-1\n$/);
    const steps = run.err.split('\n').filter(Boolean);
    expect(steps.some((line) => /^fetch file:\/\/.* \([0-9a-f]{12}\) …$/.test(line))).toBe(true);
    expect(steps.some((line) => /^fetch file:\/\/.* done \d+ ms$/.test(line))).toBe(true);
    expect(steps.some((line) => /^build file:\/\/.* done \d+ ms$/.test(line))).toBe(true);
    expect(run.err).not.toContain('\x1b['); // no terminal control codes in a pipe
  });

  it('answers load --json with the provider, its commit and its models', async () => {
    const run = await cli(['load', `${echo.url}@v1.0.0`, '--json']);
    expect(run.err).toBe('');
    expect(json(run)).toMatchObject({
      provider: { id: 'echo', name: 'Echo Provider', type: 'local', version: '1.0.0', commit: expect.stringMatching(/^[0-9a-f]{40}$/) },
      capabilities: ['text-to-text'],
      models: { 'text-to-text': ['echo-1'] },
    });
  });

  it('runs a provider in a process of its own with --isolation process, and says so', async () => {
    const run = await cli(['load', `${echo.url}@v1.0.0`, '--isolation', 'process']);
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/^Echo Provider \(echo, local\) 1\.0\.0 at [0-9a-f]{12}, in a process of its own, loaded in \d+ ms\n/);
    expect(json(await cli(['load', `${echo.url}@v1.0.0`, '--json'])).provider).toMatchObject({ isolation: 'none' });
    const bad = await cli(['load', echo.url, '--isolation', 'sandbox']);
    expect(bad.code).toBe(2);
  });

  it('lists Together models with context length and pricing, from the fake server', async () => {
    // The host keeps the key, and sends it to the fake only because the operator allows its origin.
    const env = { TOGETHER_API_KEY: API_KEY, TOGETHER_BASE_URL: fake.baseURL, MEDIACONDUIT_SECRET_ORIGINS: `TOGETHER_API_KEY=${new URL(fake.baseURL).origin}` };
    const run = await cli(['models', TOGETHER, '--capability', 'text-to-text', '--no-lockfile'], { env });
    expect(run.code).toBe(0);
    const lines = run.out.trim().split('\n');
    expect(lines[0]).toMatch(/^MODEL\s+CAPABILITY\s+CONTEXT\s+PRICING \(USD\)$/);
    expect(lines.find((l) => l.startsWith('meta-llama/Llama-3.3-70B-Instruct-Turbo'))).toMatch(/text-to-text\s+131,072 tokens\s+\$0\.88\/M in, \$0\.88\/M out/);
    const listed = json<{ id: string; contextLength?: number; pricing?: unknown }[]>(await cli(['models', TOGETHER, '--json', '--no-lockfile'], { env }));
    expect(listed.find((m) => m.id === 'meta-llama/Llama-3.3-70B-Instruct-Turbo')).toMatchObject({ contextLength: 131072, pricing: { inputPerMillionTokens: 0.88 } });
  });

  it('lock pins without moving existing pins; update moves them; both answer --json', async () => {
    const repo = await createTestRepo('moving');
    try {
      await repo.commit(echoProviderFiles({ id: 'moving', version: '1.0.0' }));
      const lockfile = join(work, 'moving.lock.json');
      const first = await cli(['lock', repo.url, '--lockfile', lockfile]);
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/: pinned [0-9a-f]{12} \(main\) moving@1\.0\.0; ran resolve, fetch, build\n$/);
      await repo.commit(echoProviderFiles({ id: 'moving', version: '1.0.1' }));
      const kept = json<{ providers: { added: boolean; entry: { provider: { version: string } }; ran: string[] }[] }>(await cli(['lock', '--lockfile', lockfile, '--json']));
      expect(kept.providers).toEqual([expect.objectContaining({ added: false, entry: expect.objectContaining({ provider: { id: 'moving', version: '1.0.0' } }), ran: [] })]);
      const updated = await cli(['update', '--lockfile', lockfile]);
      expect(updated.out).toMatch(/: [0-9a-f]{12} \(main\) → [0-9a-f]{12} \(main\)\n$/);
      expect((await cli(['update', repo.url, '--lockfile', lockfile])).out).toMatch(/unchanged at/);
      const lock = JSON.parse(await readFile(lockfile, 'utf8')) as { providers: Record<string, { provider: { version: string } }> };
      expect(Object.values(lock.providers).map((e) => e.provider.version)).toEqual(['1.0.1']);
    } finally {
      await repo.remove();
    }
  });

  it('--offline refuses what is not cached, and --frozen refuses a new pin, each as one line with its code and a hint', async () => {
    const offline = await cli(['load', echo.url, '--offline', '--cache-dir', join(work, 'empty-cache')]);
    expect(offline.code).toBe(1);
    expect(offline.err).toMatch(/^error NOT_CACHED: .*\(hint: run once without --offline \(or mediaconduit lock <spec>\) to fill the cache\)\n$/m);
    expect(offline.err).not.toMatch(/\n\s+at /);
    const frozen = await cli(['load', `${echo.url}@main`, '--frozen', '--lockfile', join(work, 'frozen.lock.json')]);
    expect(frozen.code).toBe(1);
    expect(frozen.err).toMatch(/^error LOCKFILE_FROZEN: /m);
    const debug = await cli(['load', echo.url, '--offline', '--cache-dir', join(work, 'empty-cache'), '--debug']);
    expect(debug.err).toMatch(/\n\s+at /); // the stack, only with --debug
  });

  it('cache ls lists entries with sizes and pins; verify finds a tampered bundle (exit 3) and --fix deletes it; prune and clean', async () => {
    const cacheDir = join(work, 'cache-cmds');
    const lockfile = join(work, 'cache-cmds.lock.json');
    const flags = ['--cache-dir', cacheDir, '--lockfile', lockfile];
    await cli(['load', `${echo.url}@v1.0.0`, ...flags]);
    await cli(['load', `${echo.url}@main`, '--no-lockfile', '--cache-dir', cacheDir]);
    const listed = json<{ entries: { kind: string; pinned: boolean | null; bytes: number; provider?: { id: string } }[] }>(await cli(['cache', 'ls', ...flags, '--json']));
    expect(listed.entries.map((e) => e.kind).sort()).toEqual(['bundle', 'checkout']); // @main is the same commit as v1.0.0
    expect(listed.entries.every((e) => e.pinned === true && e.bytes > 0)).toBe(true);
    const ls = await cli(['cache', 'ls', ...flags]);
    expect(ls.out).toMatch(/^KIND\s+PROVIDER\s+COMMIT\s+SIZE\s+PINNED\s+CREATED\s+FROM\n/);
    expect(ls.out).toMatch(/\nbundle\s+echo@1\.0\.0\s+[0-9a-f]{12}\s+[\d.]+ KB\s+yes\s/);

    const bundles = join(cacheDir, 'bundles');
    const [key] = await readdir(bundles);
    const file = (await readdir(join(bundles, key!))).find((f) => f.endsWith('.mjs'))!;
    await writeFile(join(bundles, key!, file), `${await readFile(join(bundles, key!, file), 'utf8')}//x`);
    const broken = await cli(['cache', 'verify', ...flags]);
    expect(broken.code).toBe(3);
    expect(broken.out).toMatch(/BROKEN .*expected sha256 [0-9a-f]{64}, found [0-9a-f]{64}/);
    expect((await cli(['cache', 'verify', '--fix', ...flags])).code).toBe(0);
    expect(json(await cli(['cache', 'verify', ...flags, '--json']))).toMatchObject({ problems: [] });

    await rm(lockfile);
    await writeFile(lockfile, JSON.stringify({ lockfileVersion: 1, providers: {} }));
    expect((await cli(['cache', 'prune', ...flags])).out).toMatch(/^removed 1 entry from /); // the checkout; the broken bundle was deleted by --fix
    await cli(['load', `${echo.url}@v1.0.0`, ...flags]);
    await mkdir(join(cacheDir, 'state/training'), { recursive: true });
    await writeFile(join(cacheDir, 'state/training/keep.json'), '{}');
    const clean = await cli(['cache', 'clean', '--cache-dir', cacheDir]);
    expect(clean.out).toMatch(/^removed [\d.]+ (KB|MB) from .*; training job records kept\n$/);
    expect((await readdir(cacheDir)).sort()).toEqual(expect.not.arrayContaining(['git', 'bundles']));
    expect(existsSync(join(cacheDir, 'state/training/keep.json'))).toBe(true);
  });
});

describe('mediaconduit run', () => {
  it('streams text as it arrives, from the mock provider; a warm run prints no progress lines, and --quiet none at all', async () => {
    const env = { MEDIACONDUIT_CACHE_DIR: join(work, 'quiet-cache'), MEDIACONDUIT_LOCKFILE: join(work, 'quiet.lock.json') };
    const quiet = await cli(['run', MOCK, 'mock/echo-1', 'hello from the command line', '--quiet'], { env });
    expect(quiet).toEqual({ code: 0, out: 'hello from the command line\n', err: '' }); // cold, yet silent
    const warm = await cli(['run', MOCK, 'mock/echo-1', 'hello again'], { env });
    expect(warm).toEqual({ code: 0, out: 'hello again\n', err: '' });
    const cold = await cli(['run', MOCK, 'mock/echo-1', 'hello', '--cache-dir', join(work, 'loud-cache')], { env });
    expect(cold.err).toMatch(/^build file:\/\/\S+ \(src\/index\.ts\) done \d+ ms$/m); // without --quiet, a cold run shows its steps
  });

  it('writes an image, speech, a transcription of it, and an embedding', async () => {
    const image = await cli(['run', MOCK, 'mock/gradient-1', 'a mountain lake', '-o', 'lake.png', '--opt', 'width=320', '--opt', 'height=200', '--no-lockfile']);
    expect(image.out).toMatch(/^wrote .*lake\.png: 320×200 image\/png, [\d.]+ KB, \d+ ms\n$/);
    expect(checkPng(await readFile(join(work, 'lake.png')))).toBeUndefined();

    const speech = json<{ file: string; mimeType: string; durationSeconds: number }>(await cli(['run', MOCK, 'mock/tone-voice-1', 'hello world', '--json', '--no-lockfile']));
    expect(speech.file).toMatch(/\/speech-\d{8}T\d{6}\.wav$/); // a new file, named after the kind and time
    expect(checkWav(await readFile(speech.file))).toBeUndefined();

    const heard = await cli(['run', MOCK, 'mock/tone-transcriber-1', speech.file, '--no-lockfile']);
    expect(heard.out).toBe('hello world\n');

    const embedding = await cli(['run', MOCK, 'mock/embed-64', 'a vector please', '--no-lockfile']);
    const values = JSON.parse(embedding.out) as number[];
    expect(values).toHaveLength(64);
    expect(values.every((v) => typeof v === 'number')).toBe(true);
  });

  it('reads the prompt from stdin with -', async () => {
    const run = await new Promise<string>((resolve, reject) => {
      const child = execFile(
        BIN,
        ['run', MOCK, 'mock/echo-1', '-', '--no-lockfile'],
        { cwd: work, env: { PATH: process.env.PATH ?? '', MEDIACONDUIT_CACHE_DIR: join(work, 'cache') }, timeout: 60_000 },
        (error, stdout) => (error ? reject(error) : resolve(String(stdout))),
      );
      child.stdin?.end('piped prompt');
    });
    expect(run).toBe('piped prompt\n');
  });

  it('gives a bad option value (exit 2), a value the model refuses, a missing file and an unknown model (exit 1) one line each with their code', async () => {
    const bad = await cli(['run', MOCK, 'mock/gradient-1', 'x', '--opt', 'width=abc', '--no-lockfile']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^error USAGE: --opt width=abc: width must be a whole number \(hint: run "mediaconduit run --help" for usage\)$/m);
    const refused = await cli(['run', MOCK, 'mock/gradient-1', 'x', '--opt', 'width=5000', '--no-lockfile']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error INVALID_INPUT: mock image: width must be a whole number from 1 to 4096, got 5000/m);
    const missing = await cli(['run', MOCK, 'mock/tone-transcriber-1', 'nothing.wav', '--no-lockfile']);
    expect(missing.err).toMatch(/^error INVALID_INPUT: cannot read the audio file .*nothing\.wav \(no such file\)$/m);
    const unknown = await cli(['run', MOCK, 'mock/nope', 'x', '--no-lockfile', '--json']);
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toMatchObject({ error: { code: 'MODEL_NOT_FOUND', hint: 'mediaconduit models <spec> lists the models' } });
  });

  it('streams a Together chat from the fake server, and never prints the API key, even with the debug log', async () => {
    const env = {
      TOGETHER_API_KEY: API_KEY,
      TOGETHER_BASE_URL: fake.baseURL,
      MEDIACONDUIT_SECRET_ORIGINS: `TOGETHER_API_KEY=${new URL(fake.baseURL).origin}`,
      DEBUG: 'mediaconduit:*',
    };
    const run = await cli(['run', TOGETHER, 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'Say hello', '--no-lockfile', '--opt', 'max-tokens=20'], { env });
    expect(run.code).toBe(0);
    expect(run.out.length).toBeGreaterThan(1);
    expect(run.err).toMatch(/mediaconduit:registry debug call together\/meta-llama\/Llama-3\.3-70B-Instruct-Turbo ok/);
    const chat = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).at(-1)!;
    expect(chat.json).toMatchObject({ stream: true, max_tokens: 20 });
    const refused = await cli(['run', TOGETHER, 'meta-llama/Llama-3.3-70B-Instruct-Turbo', 'x', '--no-lockfile'], { env: { ...env, TOGETHER_API_KEY: 'wrong-key-0000' } });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error AUTHENTICATION_FAILED: /m);
    for (const text of [run.out, run.err, refused.out, refused.err]) expect(text).not.toContain(API_KEY);
  });
});

describe('DEBUG=mediaconduit:*', () => {
  it('prints each load step, each git command with its duration, and each model call', async () => {
    const run = await cli(['run', `${echo.url}@v1.0.0`, 'echo-1', 'hi', '--cache-dir', join(work, 'debug-cache'), '--no-lockfile'], { env: { DEBUG: 'mediaconduit:*' } });
    expect(run.code).toBe(0);
    expect(run.err).toMatch(
      /^mediaconduit:registry debug clone file:\/\/\S+ at v1\.0\.0: git clone --depth 1 .*--branch v1\.0\.0 --end-of-options file:\/\/\S+ \S+ \{"ms":\d+\}$/m,
    );
    expect(run.err).toMatch(/^mediaconduit:registry debug fetch done file:\/\/\S+ \{"detail":"[0-9a-f]{40}","ms":\d+\}$/m);
    expect(run.err).toMatch(/^mediaconduit:registry debug call echo\/echo-1 ok \{"capability":"text-to-text","attempt":1,"ms":\d+\}$/m);
    const quiet = await cli(['run', `${echo.url}@v1.0.0`, 'echo-1', 'hi', '--cache-dir', join(work, 'debug-cache'), '--no-lockfile']);
    expect(quiet.err).not.toMatch(/debug/);
  });
});

describe('mediaconduit train', () => {
  it('starts a LoRA job on the mock provider, follows it to the end, lists it, and the trained model generates', async () => {
    const photos = join(work, 'photos');
    for (let i = 1; i <= 5; i++)
      await cli([
        'run',
        MOCK,
        'mock/gradient-1',
        `photo ${i}`,
        '-o',
        join(photos, `p${i}.png`),
        '--opt',
        'width=512',
        '--opt',
        'height=512',
        '--opt',
        `seed=${i}`,
        '--no-lockfile',
      ]);
    const started = await cli(['train', 'start', MOCK, '--data', 'photos', '--trigger-word', 'sks', '--config', 'trainingMs=800', '--wait', '--poll-ms', '100', '--no-lockfile']);
    expect(started.code).toBe(0);
    // In a pipe, a line when the job starts and one per change of status: never the same status twice in a row.
    const statuses = started.err
      .split('\n')
      .map((line) => /^train mockft-\S+: (\w+)/.exec(line)?.[1])
      .filter((status): status is string => status !== undefined);
    expect(statuses.at(-1)).toBe('completed');
    expect(statuses.filter((status, i) => i > 0 && status === statuses[i - 1])).toEqual([]);
    expect(started.err).not.toMatch(/ failed/);
    const id = /^job (mockft-\S+) \(mock\): completed 100%/m.exec(started.out)?.[1];
    expect(id).toBeDefined();
    expect(started.out).toContain(`output model mock-lora/${id}`);

    const list = json<{ job: { id: string; status: string } }[]>(await cli(['train', 'list', '--json']));
    expect(list.find((j) => j.job.id === id)?.job.status).toBe('completed');
    const status = await cli(['train', 'status', id!, '--no-lockfile']);
    expect(status.out).toMatch(/info training complete/);
    const lora = await cli(['run', MOCK, `mock-lora/${id}`, 'sks on a beach', '-o', 'lora.png', '--no-lockfile']);
    expect(lora.code).toBe(0);
    expect(checkPng(await readFile(join(work, 'lora.png')))).toBeUndefined();
    expect((await cli(['train', 'wait', 'no-such-job'])).err).toMatch(/^error INVALID_INPUT: no recorded training job "no-such-job"/m);
  });

  it('watches every unfinished job until each has ended, with a sample image from each LoRA; refuses a parameter the trainer lacks', async () => {
    const refused = await cli(['train', 'start', MOCK, '--data', 'photos', '--steps', '500', '--no-lockfile']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(
      /^error INVALID_INPUT: mock training: an option this trainer cannot apply \(nothing was uploaded\):\n {2}- steps: the mock trainer has no such parameter; the mock counts epochs: pass epochs\n/m,
    );
    // A bad flag is a usage error of its own command before anything starts: no job is left behind.
    const before = json<unknown[]>(await cli(['train', 'list', '--json'])).length;
    const badPoll = await cli(['train', 'start', MOCK, '--data', 'photos', '--wait', '--poll-ms', 'soon', '--no-lockfile']);
    expect(badPoll.code).toBe(2);
    expect(badPoll.err).toMatch(/^error USAGE: --poll-ms "soon" must be a positive whole number \(hint: run "mediaconduit train start --help"/m);
    expect(json<unknown[]>(await cli(['train', 'list', '--json'])).length).toBe(before);
    expect((await cli(['train', 'watch', '--poll-ms', '-5'])).err).toMatch(
      /^error USAGE: --poll-ms "-5" must be a positive whole number \(hint: run "mediaconduit train watch --help"/m,
    );
    // A job that runs for ten minutes: one round of watching announces it, not ended; then it is cancelled.
    const long = /^job (mockft-\S+) /m.exec((await cli(['train', 'start', MOCK, '--data', 'photos', '--config', 'trainingMs=600000', '--no-lockfile'])).out)?.[1];
    const once = await cli(['train', 'watch', '--once', '--no-lockfile', '--config', 'trainingMs=600000']);
    expect(once.code).toBe(0);
    expect(once.out).toMatch(new RegExp(`^${long} \\(mock\\): (pending|queued|running)`, 'm'));
    expect(once.out).toMatch(/^1 job\(s\) not ended$/m);
    // A watch that would go on for ever ends with Ctrl-C as every command does: 130, said on stderr.
    const forever = spawn(BIN, ['train', 'watch', '--forever', '--poll-ms', '50', '--no-lockfile', '--config', 'trainingMs=600000'], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: work, MEDIACONDUIT_CACHE_DIR: join(work, 'cache'), MEDIACONDUIT_LOCKFILE: join(work, 'lock.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const limit = setTimeout(() => forever.kill('SIGKILL'), 60_000);
    let foreverErr = '';
    forever.stderr.setEncoding('utf8').on('data', (chunk: string) => (foreverErr += chunk));
    forever.stdout.once('data', () => forever.kill('SIGINT')); // once it has announced the job
    const foreverCode = await new Promise<number | null>((resolve) => forever.on('close', resolve));
    clearTimeout(limit);
    expect(foreverCode).toBe(130);
    expect(foreverErr).toMatch(/^error ABORTED: interrupted$/m);
    expect((await cli(['train', 'cancel', long!, '--no-lockfile'])).code).toBe(0);
    // A short job, watched to its end by the loop, which then makes its sample and exits by itself.
    const started = await cli(['train', 'start', MOCK, '--data', 'photos', '--trigger-word', 'zebra', '--config', 'trainingMs=300', '--no-lockfile']);
    const id = /^job (mockft-\S+) /m.exec(started.out)?.[1];
    expect(id).toBeDefined();
    const watch = await cli(['train', 'watch', '--poll-ms', '50', '--sample-prompt', '{trigger} on a beach', '--no-lockfile', '--config', 'trainingMs=300']);
    expect(watch.code).toBe(0);
    const sample = new RegExp(`^${id}: sample "zebra on a beach" saved to (\\S+)$`, 'm').exec(watch.out)?.[1];
    expect(checkPng(await readFile(sample!))).toBeUndefined();
    expect(watch.out).toMatch(/^every recorded job has ended/m);
    const list = json<{ job: { id: string }; samples?: { prompt: string; path: string }[] }[]>(await cli(['train', 'list', '--json']));
    expect(list.find((j) => j.job.id === id)?.samples).toEqual([expect.objectContaining({ prompt: 'zebra on a beach', path: sample })]);
  });

  it('trains an image LoRA on fal (the fake) with --steps and --trainer, follows it with train watch, and generates with it', async () => {
    const falFake: FakeFalServer = await startFakeFal({ timings: { queuePositionMs: 50, trainingMs: 300, inferenceMs: 1 } });
    const photos = join(work, 'fal-photos');
    await mkdir(photos, { recursive: true });
    // Ten: fal's portrait trainer fails a job with fewer.
    for (let i = 0; i < 10; i++) await writeFile(join(photos, `p${i}.png`), encodePng(512, 512, new Uint8Array(512 * 512 * 3).fill(20 * i)));
    try {
      // The provider in a process of its own: the host adds FAL_KEY for the fake's origin only.
      const env = {
        FAL_KEY: falFake.key,
        FAL_BASE_URL: falFake.origin,
        MEDIACONDUIT_SECRET_ORIGINS: `FAL_KEY=${falFake.origin}`,
        MEDIACONDUIT_NPM_REGISTRY: npm.url,
      };
      const refused = await cli(['train', 'start', FAL, '--data', 'fal-photos', '--epochs', '100', '--no-lockfile', '--isolation', 'process'], { env });
      expect(refused.err).toMatch(
        /^error INVALID_INPUT: fal training: an option this trainer cannot apply .*\n {2}- epochs: fal-ai\/flux-lora-fast-training has no such parameter; fal trains in steps/m,
      );
      const started = await cli(
        [
          'train',
          'start',
          FAL,
          '--data',
          'fal-photos',
          '--trigger-word',
          'TOK',
          '--steps',
          '200',
          '--trainer',
          'fal-ai/flux-lora-portrait-trainer',
          '--no-lockfile',
          '--isolation',
          'process',
        ],
        { env },
      );
      expect(started.code).toBe(0);
      expect(started.err).not.toMatch(/warning/);
      const id = /^job (fal-ai\/flux-lora-portrait-trainer:\S+) \(fal\): queued/m.exec(started.out)?.[1];
      expect(id).toBeDefined();
      expect(started.out).toMatch(/^ {2}cost 0\.48 USD if it runs to its end/m);
      expect(falFake.jobs()[0]!.input).toMatchObject({ steps: 200, trigger_phrase: 'TOK', create_masks: false });
      // Without the key the job cannot be read: this watch gives up on it at once, exits 1, and says how to go on.
      const { FAL_KEY: _key, ...keyless } = env;
      const givenUp = await cli(['train', 'watch', '--spec', 'fal', '--poll-ms', '50', '--no-lockfile', '--isolation', 'process'], { env: keyless });
      expect(givenUp.code).toBe(1);
      expect(givenUp.out).toMatch(new RegExp(`^${id!.replace(/[/.]/g, '\\$&')}: no longer followed: .*FAL_KEY`, 'm'));
      expect(givenUp.err).toMatch(/^error: 1 job\(s\) could not be followed \(.*\); fix what their lines above name and run `mediaconduit train watch` again/m);
      expect(givenUp.out).not.toMatch(/every recorded job has ended/);
      const watch = await cli(['train', 'watch', '--spec', 'fal', '--poll-ms', '50', '--sample-prompt', '{trigger} in the rain', '--no-lockfile', '--isolation', 'process'], {
        env,
      });
      expect(watch.code).toBe(0);
      expect(watch.out).toMatch(new RegExp(`^${id!.replace(/[/.]/g, '\\$&')} \\(fal\\): .*completed 100%`, 'm'));
      const output = /^ {2}output model (fal-ai\/flux-lora:\S+)$/m.exec(watch.out)?.[1];
      expect(watch.out).toMatch(/: sample "TOK in the rain" saved to \S+\.jpg$/m);
      const run = await cli(['run', FAL, output!, 'TOK on a boat', '-o', 'fal-lora.jpg', '--no-lockfile', '--isolation', 'process'], { env });
      expect(run.code).toBe(0);
      expect(await readFile(join(work, 'fal-lora.jpg')).then((b) => b.subarray(0, 2).toString('hex'))).toBe('ffd8');
    } finally {
      await falFake.close();
    }
  });

  it('ends train wait with TRAINING_FAILED (exit 1) for a job that fails', async () => {
    const run = await cli([
      'train',
      'start',
      MOCK,
      '--data',
      'photos',
      '--config',
      'trainingMs=300',
      '--config',
      'trainingFailure=out of memory',
      '--wait',
      '--poll-ms',
      '50',
      '--no-lockfile',
    ]);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^error TRAINING_FAILED: .*out of memory.*\(hint: mediaconduit train status <id> shows the job/m);
  });
});

describe('mediaconduit train: following a job', () => {
  it('says how to follow a job with the flags it was started with; a lockfile that does not pin its provider refuses to load it, saying how to pin it', async () => {
    const started = await cli(['train', 'start', MOCK, '--data', 'photos', '--config', 'trainingMs=300', '--no-lockfile']);
    expect(started.code).toBe(0);
    const follow = /^follow it with: mediaconduit (train wait (mockft-\S+) --no-lockfile)$/m.exec(started.out);
    expect(follow).not.toBeNull();
    const refused = await cli(['train', 'wait', follow![2]!, '--lockfile', 'unpinned.lock.json']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^error INTEGRITY_MISMATCH: training job mockft-\S+: its record names the provider file:\S+, which the lockfile \S+unpinned\.lock\.json does not pin/m,
    );
    expect(refused.err).toContain('load the provider once (`mediaconduit load <spec>`) to pin it');
    expect(refused.err).toContain(`(hint: pin the job's provider with mediaconduit load ${MOCK} `);
    const followed = await cli(follow![1]!.split(' '));
    expect(followed.code).toBe(0);
    expect(followed.out).toMatch(/^job mockft-\S+ \(mock\): completed 100%/m);
  });
});

describe('mediaconduit train publish', () => {
  it('gives a mock LoRA’s inline weights a URL through fal’s storage, and prints how to apply them', async () => {
    const pictures = join(work, 'publish-pictures');
    await mkdir(pictures, { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(pictures, `p${i}.png`), encodePng(256, 256, new Uint8Array(256 * 256 * 3).fill(30 * i)));
    const trained = await cli(['train', 'start', MOCK, '--data', 'publish-pictures', '--trigger-word', 'TOK', '--config', 'trainingMs=0', '--wait', '--no-lockfile']);
    expect(trained.code).toBe(0);
    const id = /^job (mockft-\S+) \(mock\): completed/m.exec(trained.out)?.[1];
    expect(trained.out).toMatch(
      new RegExp(
        `^ {2}weights inline \\(mock-lora-TOK-[0-9a-f]{6}\\.safetensors, \\d+ bytes\\): mediaconduit train publish ${id} --to <provider with storage> gives them a URL$`,
        'm',
      ),
    );
    // Without --to there is nowhere to put them: a typed error that says what to pass.
    const nowhere = await cli(['train', 'publish', id!, '--no-lockfile']);
    expect(nowhere.code).toBe(2);
    expect(nowhere.err).toContain(`the weights of ${id} are not at a URL yet (inline, as a data: URL): pass --to <spec of a provider with storage, such as fal's>`);
    const falFake: FakeFalServer = await startFakeFal();
    try {
      const env = { FAL_KEY: falFake.key, FAL_BASE_URL: falFake.origin, MEDIACONDUIT_SECRET_ORIGINS: `FAL_KEY=${falFake.origin}`, MEDIACONDUIT_NPM_REGISTRY: npm.url };
      const published = await cli(['train', 'publish', id!, '--to', FAL, '--scale', '0.8', '--no-lockfile', '--isolation', 'process'], { env });
      expect(published.code).toBe(0);
      const url = new RegExp(`^${id} : weights at (\\S+)$`.replace(' : ', ': '), 'm').exec(published.out)?.[1];
      expect(url).toMatch(/\/mock-lora-TOK-[0-9a-f]{6}\.safetensors$/);
      expect(published.out).toContain(`apply them with: mediaconduit run <spec> <FLUX model> "<prompt with TOK>" --opt 'adapters=[{"path":"${url}","scale":0.8}]'`);
      // The file at the URL is the job's weights, byte for byte.
      const status = json<{ artifacts: { kind: string; url: string }[] }>(await cli(['train', 'status', id!, '--no-lockfile', '--json']));
      const inline = status.artifacts.find((a) => a.kind === 'weights')!.url;
      expect(Buffer.from(falFake.file(url!)!.bytes).equals(Buffer.from(inline.slice(inline.indexOf(',') + 1), 'base64'))).toBe(true);
    } finally {
      await falFake.close();
    }
  });
});

describe('mediaconduit bench', () => {
  interface Report {
    rows: { group: string; name: string; unit: string; median: number; runs: number; ratio?: number; ok?: boolean; note?: string }[];
    missed: string[];
  }

  it('concurrent loads: one clone, one install and one build per provider, however many loads race', async () => {
    const run = await cli(['bench', '--smoke', '--only', 'concurrency', '--json'], { cwd: root });
    const report = json<Report>(run);
    const rows = report.rows.filter((r) => r.group === 'concurrency');
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.ok, r.name).toBe(true);
      expect(r.note).toBe('2 clones, 1 install, 2 builds in every round');
      expect(r.ok, r.name).toBe(true); // counts, not speed: judged even in a smoke run
      expect(r.median).toBeGreaterThan(0);
    }
    expect(run.code).toBe(0);
  }, 90_000);

  it('requests: the Together provider beside raw undici, the wrapper beside the bare model, peak memory; written as markdown and JSON', async () => {
    const out = join(work, 'bench', 'requests.md');
    const run = await cli(['bench', '--smoke', '--only', 'requests', '--json', '--out', out], { cwd: root });
    const report = json<Report>(run);
    expect(report.rows.map((r) => [r.group, r.unit])).toEqual([
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'µs'],
      ['requests', 'req/s'],
      ['requests', 'µs'],
      ['requests', 'µs'],
      ['requests', 'MB'],
      ['requests', 'MB'],
    ]);
    // The floor under an isolated call: a bare round trip to another process, measured in the same run.
    const floor = report.rows.find((r) => r.name.startsWith('a bare round trip to another Node process'))!;
    expect(floor.note).toMatch(/^the least any call to another process adds\. An isolated call makes two .*: at least \d+ µs(; |$)/);
    expect(report.rows.find((r) => r.name === 'one chat call at a time, in a process of its own')!.note).toMatch(/the floor of two bare round trips \(row below\): \d+ µs(; |$)/);
    for (const r of report.rows) {
      // Memory may not grow at all for a smoke run's small images (freed pages are reused): 0 MB is a figure too.
      if (r.unit === 'MB') {
        expect(Number.isFinite(r.median) && r.median >= 0, r.name).toBe(true);
        continue;
      }
      expect(Number.isFinite(r.median) && r.median > 0, r.name).toBe(true);
      expect(Number.isFinite(r.ratio) && r.ratio! > 0, r.name).toBe(true);
    }
    // A smoke run judges no speed target: that depends on the machine, and on samples larger than these.
    expect(report.rows.filter((r) => r.ok !== undefined)).toEqual([]);
    expect(report.missed).toEqual([]);
    expect(run.code).toBe(0);
    expect(report.rows.at(-2)!.note).toMatch(/^\d+\.\d\d× the 3\.0 MB decoded; the naive client \d+\.\d\d×$/);
    expect(report.rows.at(-1)!.note).toMatch(
      /^\d+\.\d\d× the 3\.0 MB decoded \(the host -?\d+\.\d\d×, the provider's process -?\d+\.\d\d×; the provider's process holds the four images whole before they cross/,
    );
    expect(await readFile(out, 'utf8')).toContain('| chat requests: registry → Together provider → fake server');
    expect(await readFile(out, 'utf8')).toContain('`mediaconduit bench --smoke`');
    expect(JSON.parse(await readFile(join(work, 'bench', 'requests.json'), 'utf8'))).toMatchObject({ rows: report.rows });
  }, 90_000);
});

describe('the command line as users trip over it', () => {
  /** Runs the bin with stdout a pipe that its reader closes: at once, or after the first chunk. */
  function closedReader(args: readonly string[], options: { input?: string; after: 'start' | 'first-chunk' }): Promise<{ code: number | null; err: string; read: number }> {
    return new Promise((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '', HOME: work, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') };
      const child = spawn(BIN, [...args], { cwd: work, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
      let err = '';
      let read = 0;
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
      if (options.after === 'start') child.stdout.destroy();
      else
        child.stdout.once('data', (chunk: Buffer) => {
          read = chunk.length;
          child.stdout.destroy();
        });
      child.stdin.on('error', () => {}).end(options.input ?? '');
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(limit);
        resolve({ code, err, read });
      });
    });
  }

  it('ends quietly (exit 0) when the reader of its output stops early, as head does', async () => {
    const version = await closedReader(['--version'], { after: 'start' });
    expect(version).toEqual({ code: 0, err: '', read: 0 });
    // A long streamed answer: the reader takes the first chunk and leaves.
    const words = 'many words '.repeat(100_000);
    const streamed = await closedReader(['run', MOCK, 'mock/echo-1', '-', '--no-lockfile', '--quiet'], { input: words, after: 'first-chunk' });
    expect(streamed.read).toBeGreaterThan(0);
    expect(streamed.read).toBeLessThan(words.length);
    expect(streamed.err).toBe('');
    expect(streamed.code).toBe(0);
  });

  it('shows what a provider says (its name, model ids, errors) without letting it drive the terminal', async () => {
    const repo = await createTestRepo('loud');
    try {
      const files = echoProviderFiles({ id: 'loud' });
      const source = String(files['src/index.ts'])
        .replace("name: 'Echo Provider'", "name: 'Loud\\u001b]0;retitled\\u0007\\u001b[2J'")
        .replace(
          'async listModels() { return [info]; }',
          "async listModels() { return [info, { id: 'x\\u001b[31m\\r\\nerror FORGED: a line of its own', providerId: 'loud', capability: 'text-to-text' }]; }",
        )
        .replace("message: 'unknown model ' + modelId", "message: 'unknown \\u202emodel\\u001b[2J ' + modelId");
      await repo.commit({ ...files, 'src/index.ts': source });
      const runs = await Promise.all([cli(['load', repo.url, '--no-lockfile']), cli(['models', repo.url, '--no-lockfile']), cli(['run', repo.url, 'nope', 'x', '--no-lockfile'])]);
      for (const run of runs) {
        for (const acted of ['\u001b', '\u0007', '\r', '\u202e']) expect(run.out + run.err).not.toContain(acted);
        expect(run.out + run.err).not.toMatch(/^error FORGED/m);
      }
      expect(runs[0]!.out).toContain('Loud\\x1b]0;retitled\\x07\\x1b[2J (loud, local)');
      expect(runs[1]!.out).toContain('x\\x1b[31m\\x0d\\x0aerror FORGED: a line of its own  text-to-text');
      expect(runs[2]!.err).toMatch(/^error MODEL_NOT_FOUND: unknown \\u202emodel\\x1b\[2J nope/m);
      // JSON carries the values as they are, escaped by JSON itself.
      expect(json<{ provider: { name: string } }>(await cli(['load', repo.url, '--no-lockfile', '--json'])).provider.name).toBe('Loud\u001b]0;retitled\u0007\u001b[2J');
    } finally {
      await repo.remove();
    }
  });

  it('tells a provider author, running it from its own folder, when the lockfile pins an older commit or changes are not committed', async () => {
    const repo = await createTestRepo('authored');
    try {
      const first = await repo.commit(echoProviderFiles({ version: '1.0.0' }));
      // As an author runs it: in the provider's folder, with the default cache and lockfile there.
      const env = { MEDIACONDUIT_CACHE_DIR: join(repo.dir, 'cache'), MEDIACONDUIT_LOCKFILE: join(repo.dir, 'mediaconduit.lock.json') };
      const run = () => cli(['run', '.', 'echo-1', 'hello'], { cwd: repo.dir, env });
      const clean = await run();
      expect(clean).toMatchObject({ code: 0, out: 'hello\n' });
      expect(clean.err).not.toContain('warning');

      const second = await repo.commit({ 'NOTES.md': 'a second commit\n' });
      const stale = await run();
      expect(stale.code).toBe(0);
      expect(stale.err).toContain(
        `warning: . is at ${second.slice(0, 12)} now, but this command loaded ${first.slice(0, 12)}, which ${join(repo.dir, 'mediaconduit.lock.json')} pins; ` +
          'to load the new commit run mediaconduit update .',
      );
      expect((await cli(['update', '.'], { cwd: repo.dir, env })).code).toBe(0);
      const moved = await run();
      expect(moved.err).not.toContain('warning');

      // Its own cache and lockfile are in the folder, uncommitted: they are not the author's changes.
      await writeFile(join(repo.dir, 'NOTES.md'), 'edited, not committed\n');
      await writeFile(join(repo.dir, 'draft.ts'), 'export {};\n');
      const dirty = await run();
      expect(dirty.code).toBe(0);
      expect(dirty.err).toContain(`warning: 2 uncommitted change(s) in ${repo.dir} are not in this run (NOTES.md, draft.ts): a provider loads from a commit`);
      // A full commit cannot move: nothing to say about it.
      const pinned = await cli(['run', `.@${second}`, 'echo-1', 'hello'], { cwd: repo.dir, env });
      expect(pinned).toMatchObject({ code: 0, out: 'hello\n' });
      expect(pinned.err).not.toContain('warning');
    } finally {
      await repo.remove();
    }
  });

  it('refuses --json with -o - (two documents on one stdout) as a usage error, before loading anything', async () => {
    const run = await cli(['run', MOCK, 'mock/gradient-1', 'a fox', '-o', '-', '--json', '--cache-dir', join(work, 'never-cache')]);
    expect(run.code).toBe(2);
    expect(json(run)).toMatchObject({ error: { code: 'USAGE', message: expect.stringMatching(/^--json writes one JSON document on stdout/) } });
    expect(existsSync(join(work, 'never-cache'))).toBe(false);
  });

  it('transcribes audio from stdin, reading its format from its first bytes', async () => {
    const speech = json<{ file: string }>(await cli(['run', MOCK, 'mock/tone-voice-1', 'piped speech', '--json', '--no-lockfile']));
    const heard = await new Promise<Run>((resolve, reject) => {
      const env = { PATH: process.env.PATH ?? '', HOME: work, MEDIACONDUIT_CACHE_DIR: join(work, 'cache') };
      const child = execFile(
        BIN,
        ['run', MOCK, 'mock/tone-transcriber-1', '-', '--no-lockfile'],
        { cwd: work, env, encoding: 'buffer', timeout: 60_000 },
        (error, stdout, stderr) => {
          if (error && typeof error.code !== 'number') return reject(error);
          resolve({ code: error ? (error.code as number) : 0, out: stdout.toString(), err: stderr.toString() });
        },
      );
      readFile(speech.file).then((bytes) => child.stdin?.end(bytes), reject);
    });
    expect(heard).toEqual({ code: 0, out: 'piped speech\n', err: expect.any(String) });
    const noise = await cli(['run', MOCK, 'mock/tone-transcriber-1', join(work, 'noise.bin'), '--no-lockfile']);
    expect(noise.code).toBe(1); // missing file: INVALID_INPUT
  });

  it('types --opt per capability: a value of the wrong type and a key the model does not take are usage errors', async () => {
    const notNumber = await cli(['run', MOCK, 'mock/echo-1', 'hi', '--opt', 'maxTokens=abc', '--no-lockfile']);
    expect(notNumber.code).toBe(2);
    expect(notNumber.err).toMatch(/^error USAGE: --opt maxTokens=abc: maxTokens must be a whole number/m);
    const unknown = await cli(['run', MOCK, 'mock/echo-1', 'hi', '--opt', 'max-token=5', '--no-lockfile']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(
      /^error USAGE: --opt max-token: text-to-text models take no option "maxToken"; did you mean maxTokens\? \(they take temperature, topP, maxTokens, /m,
    );
    const format = await cli(['run', MOCK, 'mock/gradient-1', 'x', '--opt', 'format=gif', '--capability', 'text-to-image', '--cache-dir', join(work, 'never-cache')]);
    expect(format.err).toMatch(/^error USAGE: --opt format=gif: format must be one of jpeg, png, webp/m);
    expect(existsSync(join(work, 'never-cache'))).toBe(false); // with --capability, refused before any load
    const stop = await cli(['run', MOCK, 'mock/echo-1', 'one two. three', '--opt', 'stop=["."]', '--no-lockfile']);
    expect(stop.out).toBe('one two\n');
  });

  it('keeps the code of a configuration error, with a hint naming the flag or the variable', async () => {
    const badConfig = await cli(['load', MOCK, '--config', 'seed=abc', '--no-lockfile']);
    expect(badConfig.code).toBe(1);
    expect(badConfig.err).toMatch(/^error INVALID_OPTIONS: .*(\n {2}.*)*seed: expected a whole number.*(\n {2}.*)*\n {2}hint: check the --config key=value settings you passed/m);
    const needy = await createTestRepo('needy');
    try {
      const files = echoProviderFiles({ id: 'needy' });
      files['src/index.ts'] = String(files['src/index.ts']).replace("context.env('ECHO_PREFIX') ?? ''", "context.requireEnv('ECHO_PREFIX')");
      await needy.commit(files);
      const missing = await cli(['load', needy.url, '--no-lockfile']);
      expect(missing.code).toBe(1);
      expect(missing.err).toMatch(/^error MISSING_CONFIGURATION: .*ECHO_PREFIX is not set/m);
      expect(missing.err).toMatch(/\(hint: export ECHO_PREFIX=… in the environment, or pass it with --config env='\{"ECHO_PREFIX":"…"\}'\)$/m);
      expect(missing.err).not.toMatch(/getProvider|\{ config/);
      const given = await cli(['run', needy.url, 'echo-1', 'hi', '--no-lockfile', '--json', '--config', 'env={"ECHO_PREFIX":"> "}']);
      expect(json(given)).toMatchObject({ text: '> hi v1.0.0' }); // the variable, passed on purpose through the flag the hint names
    } finally {
      await needy.remove();
    }
  });

  it('speaks the language of the command line, not of the API', async () => {
    const runs = [
      await cli(['load', `${echo.url}@main`, '--frozen', '--lockfile', join(work, 'frozen-words.lock.json')]),
      await cli(['train', 'status', 'no-such-job', '--no-lockfile']),
      await cli(['load', 'https://user:pass@127.0.0.1:1/x.git']),
    ];
    expect(runs.map((r) => r.code)).toEqual([1, 1, 1]);
    expect(runs[0]!.err).toMatch(/add it with `mediaconduit update` without frozen mode/);
    expect(runs[1]!.err).toMatch(/`mediaconduit train list` lists the recorded ones/);
    expect(runs[2]!.err).toMatch(/set MEDIACONDUIT_GIT_TOKEN/);
    for (const run of runs) expect(run.err).not.toMatch(/registry\.\w+\(|`(tokens|cacheDir|npmRegistry)`|resumeTrainingJob|\{ \w+(: \{)? /);
  });

  it('gives hints that fit the problem', async () => {
    const missing = await cli(['load', './no-such-provider']);
    expect(missing.err).toMatch(/^error INVALID_SPECIFIER: .*there is no folder \S+no-such-provider; check the path/m);
    await mkdir(join(work, 'plain-folder'), { recursive: true });
    const plain = await cli(['load', './plain-folder', '--no-lockfile']);
    expect(plain.err).toMatch(/^error GIT_FAILED: .*plain-folder is not a Git repository; run git init in it, then git add -A && git commit/m);
    const unreachable = await cli(['load', 'http://127.0.0.1:1/acme/provider.git', '--no-lockfile']);
    expect(unreachable.err).toMatch(/^error GIT_FAILED: .*(\n {2}.*)*\n {2}hint: the host cannot be reached: check the network; .*--offline loads without it$/m);
    await writeFile(join(work, 'a-file'), 'not a folder');
    const output = await cli(['run', MOCK, 'mock/gradient-1', 'x', '-o', 'a-file/out.png', '--no-lockfile']);
    expect(output.err).toMatch(/^error FILE_SYSTEM_ERROR: .* \(hint: check free space and permissions where -o points \(\S+a-file\/out\.png\), or pass another -o\)$/m);
    // An -o the result cannot go into is refused before the call, which may cost money; a format of the right kind is written, with a warning.
    const folder = await cli(['run', MOCK, 'mock/gradient-1', 'x', '-o', 'plain-folder', '--no-lockfile']);
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(/^error USAGE: -o plain-folder is a folder; name a file in it \(for example -o plain-folder\/image\.png\)/m);
    const wrongKind = await cli(['run', MOCK, 'mock/gradient-1', 'x', '-o', 'picture.wav', '--no-lockfile']);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.err).toMatch(/^error USAGE: -o picture\.wav: a text-to-image model makes an image; name the file \.png, \.jpg or \.webp/m);
    expect(existsSync(join(work, 'picture.wav'))).toBe(false);
    const renamed = await cli(['run', MOCK, 'mock/gradient-1', 'x', '-o', 'picture.jpg', '--no-lockfile']);
    expect(renamed.code).toBe(0);
    expect(renamed.err).toMatch(/^warning: \S+picture\.jpg holds image\/png, which its name does not say; rename it to \.png$/m);
    const lockfile = await cli(['load', `${echo.url}@v1.0.0`, '--lockfile', 'a-file/lock.json']);
    expect(lockfile.err).toMatch(/^error FILE_SYSTEM_ERROR: .*\(hint: check free space and permissions where --lockfile points/m);
    const job = await cli(['train', 'status', 'no-such-job', '--no-lockfile']);
    expect(job.err).toMatch(/\(hint: jobs are recorded in the cache folder: pass the --cache-dir the job was started with, and mediaconduit train list/);
    const validate = await cli(['validate', './missing-provider']);
    expect(validate.code).toBe(2);
    expect(validate.err).toMatch(/^error USAGE: there is no folder \S+missing-provider; give the folder of a provider/);
    expect(validate.err).not.toMatch(/ls-remote|GIT_FAILED/);
    const verify = await cli(['cache', 'verify', '--cache-dir', './typo']);
    expect(verify.code).toBe(2);
    expect(verify.err).toMatch(/^error USAGE: there is no cache at \S+typo \(no such folder\); check the --cache-dir path/);
    expect(verify.out).not.toMatch(/all intact/);
  });
});
