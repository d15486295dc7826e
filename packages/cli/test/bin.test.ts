import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../bin/mediaconduit.js', import.meta.url));
const work = await mkdtemp(join(tmpdir(), 'mc-bin-'));
afterAll(() => rm(work, { recursive: true, force: true }));

/** Runs a copy of the bin placed at `at`; resolves to its exit code and output. */
async function runCopy(at: string): Promise<{ code: number; out: string; err: string }> {
  await mkdir(join(at, '..'), { recursive: true });
  await cp(bin, at);
  return run(process.execPath, [at, '--version']).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, out: error.stdout, err: error.stderr }),
  );
}

describe('the mediaconduit bin', () => {
  it('says in one line to run the build when it runs before one', async () => {
    const result = await runCopy(join(work, 'repo/packages/cli/bin/mediaconduit.js'));
    expect(result.code).toBe(1); // documented: failed, with its code printed
    expect(result.out).toBe('');
    expect(result.err).toBe(
      'error NOT_BUILT: mediaconduit is not built yet (the module ../dist/main.js is missing) (hint: run "pnpm build" in the MediaConduit repository, then try again)\n',
    );
  });

  it('says in one line to reinstall from a broken installation', async () => {
    const installed = join(work, 'app/node_modules/@mediaconduit/cli');
    await mkdir(join(installed, 'dist'), { recursive: true });
    await writeFile(join(installed, 'dist/main.js'), "export { main } from '@mediaconduit/core';\n");
    const result = await runCopy(join(installed, 'bin/mediaconduit.js'));
    expect(result.code).toBe(1);
    expect(result.err).toBe(
      'error BROKEN_INSTALL: this installation of @mediaconduit/cli is broken (the package @mediaconduit/core is missing) (hint: reinstall it: npm install @mediaconduit/cli)\n',
    );
  });

  it('runs the built command, printing the versions of the installed packages', async () => {
    const version = (name: string) => (JSON.parse(readFileSync(new URL(`../../${name}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
    const { stdout } = await run(process.execPath, [bin, '--version']);
    expect(stdout).toBe(`mediaconduit ${version('cli')} (@mediaconduit/core ${version('core')}, provider contract ${version('provider')}, node ${process.versions.node})\n`);
  });
});

describe('a load that cannot finish', () => {
  it("exits 1 with one line naming TIMEOUT when the provider's initialize() never settles", async () => {
    const { createTestRepo, echoProviderFiles } = await import('@mediaconduit/testing');
    const repo = await createTestRepo('hangs');
    try {
      const files = echoProviderFiles({ id: 'hangs' }) as Record<string, string>;
      files['src/index.ts'] = files['src/index.ts']!.replace(
        'isAvailable() { return true; },',
        'isAvailable() { return true; },\n    initialize() { return new Promise<void>(() => {}); },',
      );
      await repo.commit(files);
      const result = await run(process.execPath, [bin, 'load', repo.url, '--cache-dir', join(work, 'hang-cache'), '--lockfile', join(work, 'hang-lock.json')], {
        env: { ...process.env, MEDIACONDUIT_INITIALIZE_TIMEOUT_MS: '500' },
      }).then(
        () => ({ code: 0, err: '' }),
        (error: { code: number; stderr: string }) => ({ code: error.code, err: error.stderr }),
      );
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/^error TIMEOUT: load file:\/\/.*: the provider did not finish loading \(import, factory, initialize\(\)\) within 500 ms/m);
      expect(result.err).not.toMatch(/\n\s+at /);
    } finally {
      await repo.remove();
    }
  });
});
