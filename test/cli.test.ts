// The `mediaconduit` command as a new user runs it: the installed bin (node_modules/.bin of this
// workspace), in child processes without a terminal, against providers committed to local Git
// repositories and the fake Together server on 127.0.0.1.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPng, checkWav, createTestRepo, echoProviderFiles, type TestRepo } from '@mediaconduit/testing';
import { startFakeTogether, type FakeTogetherServer } from '@mediaconduit/together-provider/testing';
import { commitProviders } from './support/provider-repo.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(root, 'node_modules/.bin/mediaconduit');
const API_KEY = 'cli-test-secret-key-7f3a9c';
let work: string;
let MOCK: string;
let TOGETHER: string;
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
  ({ MOCK, TOGETHER } = await commitProviders(work));
  echo = await createTestRepo('echo');
  await echo.commit(echoProviderFiles({ version: '1.0.0' }));
  await echo.tag('v1.0.0');
  fake = await startFakeTogether({ apiKey: API_KEY });
}, 60_000);

afterAll(async () => {
  await fake?.close();
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
    for (const command of ['load', 'models', 'run', 'lock', 'update', 'cache', 'validate', 'init', 'bench', 'train']) expect(overview.out).toMatch(new RegExp(`\\n  ${command} `));
  });

  it('suggests the command meant by a typo, and exits 2 with one line', async () => {
    const typo = await cli(['lod', 'file:///x']);
    expect(typo).toEqual({
      code: 2,
      out: '',
      err: `mediaconduit: unknown command 'lod'; did you mean load? (run "mediaconduit --help" for usage)\n`,
    });
  });

  it('refuses unknown flags with a suggestion, and flags of other commands naming where they belong', async () => {
    expect((await cli(['cache', 'verify', '--fxi'])).err).toBe(`mediaconduit: unknown option '--fxi'; did you mean --fix? (run "mediaconduit cache verify --help" for usage)\n`);
    const misplaced = await cli(['load', echo.url, '--fix']);
    expect(misplaced.code).toBe(2);
    expect(misplaced.err).toBe(`mediaconduit: unknown option '--fix'; --fix is an option of: cache verify (run "mediaconduit load --help" for usage)\n`);
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

  it('lists Together models with context length and pricing, from the fake server', async () => {
    const env = { TOGETHER_API_KEY: API_KEY, TOGETHER_BASE_URL: fake.baseURL };
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
  it('streams text as it arrives, from the mock provider', async () => {
    const run = await cli(['run', MOCK, 'mock/echo-1', 'hello from the command line', '--no-lockfile']);
    expect(run.code).toBe(0);
    expect(run.out).toBe('hello from the command line\n');
    expect(run.err).toMatch(/mock\/echo-1: \d+ ms \{"inputTokens":/);
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

  it('gives a bad option, a missing file and an unknown model one line each with their code, and exit 1', async () => {
    const bad = await cli(['run', MOCK, 'mock/gradient-1', 'x', '--opt', 'width=abc', '--no-lockfile']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error INVALID_INPUT: mock image: width must be a whole number from 1 to 4096, got abc/m);
    const missing = await cli(['run', MOCK, 'mock/tone-transcriber-1', 'nothing.wav', '--no-lockfile']);
    expect(missing.err).toMatch(/^error INVALID_INPUT: cannot read the audio file .*nothing\.wav \(no such file\)$/m);
    const unknown = await cli(['run', MOCK, 'mock/nope', 'x', '--no-lockfile', '--json']);
    expect(unknown.code).toBe(1);
    expect(json(unknown)).toMatchObject({ error: { code: 'MODEL_NOT_FOUND', hint: 'mediaconduit models <spec> lists the models' } });
  });

  it('streams a Together chat from the fake server, and never prints the API key, even with the debug log', async () => {
    const env = { TOGETHER_API_KEY: API_KEY, TOGETHER_BASE_URL: fake.baseURL, DEBUG: 'mediaconduit:*' };
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
    expect(started.err).toMatch(/^train mockft-\S+: running \d+% step \d+\/\d+/m); // progress while it ran
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
    expect((await cli(['train', 'wait', 'no-such-job'])).err).toMatch(/^error INVALID_INPUT: resumeTrainingJob: no recorded training job "no-such-job"/m);
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

describe('mediaconduit bench', () => {
  interface Report {
    rows: { group: string; name: string; unit: string; median: number; runs: number; ratio?: number; ok?: boolean; note?: string }[];
    missed: string[];
  }

  it('concurrent loads: one clone, one install and one build per provider, however many loads race', async () => {
    const run = await cli(['bench', '--rounds', '1', '--only', 'concurrency', '--json'], { cwd: root });
    const report = json<Report>(run);
    const rows = report.rows.filter((r) => r.group === 'concurrency');
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.ok, r.name).toBe(true);
      expect(r.note).toBe('2 clones, 1 install, 2 builds in every round');
      expect(r.median).toBeGreaterThan(0);
    }
    expect(run.code).toBe(0);
  }, 90_000);

  it('requests: the Together provider beside raw undici, the wrapper beside the bare model, peak memory; written as markdown and JSON', async () => {
    const out = join(work, 'bench', 'requests.md');
    const run = await cli(['bench', '--rounds', '1', '--only', 'requests', '--json', '--out', out], { cwd: root });
    const report = json<Report>(run);
    expect(report.rows.map((r) => [r.group, r.unit])).toEqual([
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'req/s'],
      ['requests', 'µs'],
      ['requests', 'MB'],
    ]);
    for (const r of report.rows) {
      expect(Number.isFinite(r.median) && r.median > 0, r.name).toBe(true);
      expect(Number.isFinite(r.ratio) && r.ratio! > 0, r.name).toBe(true);
    }
    // Whether a speed target holds depends on the machine; the report and the exit code agree on it.
    expect(report.missed).toEqual(report.rows.filter((r) => r.ok === false).map((r) => expect.stringContaining(r.name)));
    expect(run.code).toBe(report.missed.length === 0 ? 0 : 3);
    expect(report.rows.at(-1)!.note).toMatch(/^\d+\.\d\d× the 48\.0 MB decoded; the naive client \d+\.\d\d×$/);
    expect(await readFile(out, 'utf8')).toContain('| chat requests: registry → Together provider → fake server');
    expect(JSON.parse(await readFile(join(work, 'bench', 'requests.json'), 'utf8'))).toMatchObject({ rows: report.rows });
  }, 90_000);
});
