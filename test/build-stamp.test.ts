// `pnpm build` (and so `pnpm demo`) builds a package only when something it builds from changed:
// the build script, run in a copy of the workspace's build set-up, on a copy of the contract package.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
let workspace: string;
let pkg: string;

/** Runs the package's build as `pnpm build` does; resolves to what it printed. */
async function build(env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run(process.execPath, [join(workspace, 'scripts/build-package.mjs')], { cwd: pkg, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 });
  return stdout;
}
const mtime = async (file: string) => (await stat(join(pkg, file))).mtimeMs;

beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'mc-build-'));
  for (const file of ['scripts/build-package.mjs', 'tsconfig.base.json', 'tsconfig.build.base.json', 'pnpm-lock.yaml']) await cp(join(root, file), join(workspace, file));
  await symlink(join(root, 'node_modules'), join(workspace, 'node_modules'));
  pkg = join(workspace, 'packages/provider');
  await cp(join(root, 'packages/provider'), pkg, { recursive: true, filter: (source) => !/[\\/](dist|node_modules)$/.test(source) });
});

afterAll(() => rm(workspace, { recursive: true, force: true }));

describe('the package build', () => {
  it('builds once, then skips while nothing changed, and builds again after a change or a lost output file', async () => {
    expect(await build()).toMatch(/^@mediaconduit\/provider: bundled 1 entry point and wrote the types/);
    const stamp = JSON.parse(await readFile(join(pkg, 'dist/.build-stamp.json'), 'utf8')) as { inputs: string; files: string[] };
    expect(stamp.files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts']));
    const before = await mtime('dist/index.js');

    expect(await build()).toMatch(/^@mediaconduit\/provider: up to date/);
    expect(await mtime('dist/index.js')).toBe(before); // not written again

    const source = join(pkg, 'src/index.ts');
    await writeFile(source, `${await readFile(source, 'utf8')}\nexport const CHANGED_FOR_THE_TEST = 1;\n`);
    expect(await build()).toMatch(/bundled 1 entry point/);
    expect(await readFile(join(pkg, 'dist/index.js'), 'utf8')).toContain('CHANGED_FOR_THE_TEST');

    await unlink(join(pkg, 'dist/index.d.ts'));
    expect(await build()).toMatch(/bundled 1 entry point/);
    expect(await build({ MEDIACONDUIT_FORCE_BUILD: '1' })).toMatch(/bundled 1 entry point/);
    expect(await build()).toMatch(/up to date/);
  }, 120_000);
});
