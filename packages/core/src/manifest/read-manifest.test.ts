import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MANIFEST_MAX_BYTES, readManifest } from './read-manifest.js';

const VALID = `id: acme
name: Acme Provider
version: 1.2.0
description: Makes things
type: remote
capabilities:
  - text-to-text
  - text-to-image
contract: ^0.1.0
env:
  - name: ACME_API_KEY
    description: API key
    required: true
models:
  - id: acme/chat
    capability: text-to-text
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mc-manifest-'));
  await mkdir(join(dir, 'src'));
  await writeFile(join(dir, 'src/index.ts'), 'export default {}');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function problemsOf(yaml: string): Promise<{ message: string; problems: { path: string; line?: number; message: string }[] }> {
  await writeFile(join(dir, 'MediaConduit.provider.yml'), yaml);
  try {
    await readManifest(dir, 'test');
  } catch (error) {
    expect(MediaConduitError.hasCode(error, 'INVALID_MANIFEST')).toBe(true);
    const e = error as MediaConduitError;
    return { message: e.message, problems: e.details.problems as never };
  }
  throw new Error('expected the manifest to be rejected');
}

describe('readManifest', () => {
  it('reads a valid manifest and fills defaults', async () => {
    await writeFile(join(dir, 'MediaConduit.provider.yml'), VALID);
    const manifest = await readManifest(dir);
    expect(manifest).toMatchObject({ id: 'acme', version: '1.2.0', type: 'remote', entry: 'src/index.ts', contract: '^0.1.0', legacyCoreField: false });
    expect(manifest.capabilities).toEqual(['text-to-text', 'text-to-image']);
    expect(manifest.env).toEqual([{ name: 'ACME_API_KEY', description: 'API key', required: true }]);
  });

  it('reports every problem at once, each with its path and line', async () => {
    const yaml = VALID.replace('version: 1.2.0', 'version: one').replace('  - text-to-image', '  - text-to-vid').replace('type: remote', 'type: cloud').concat('colour: blue\n');
    const { problems, message } = await problemsOf(yaml);
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'version', line: 3, message: '"one" is not a semver version such as "1.0.0"' },
        { path: 'type', line: 5, message: '"cloud" is not "remote" or "local"' },
        { path: 'capabilities.1', line: 8, message: expect.stringContaining('unknown capability "text-to-vid"; expected one of text-to-text') },
        { path: 'colour', line: 17, message: 'unknown field "colour"; remove it or check its spelling' },
      ]),
    );
    expect(problems).toHaveLength(4);
    expect(message).toContain('(4 problems)');
    expect(message).toContain('line 8, capabilities.1: unknown capability');
  });

  it('names missing required fields', async () => {
    const { problems } = await problemsOf('id: acme\nname: A\n');
    expect(problems.map((p) => p.path).sort()).toEqual(['capabilities', 'contract', 'type', 'version']);
    expect(problems.filter((p) => p.path !== 'contract').every((p) => p.message === 'is required')).toBe(true);
    expect(problems.find((p) => p.path === 'contract')?.message).toMatch(/^is required: the semver range of @mediaconduit\/provider/);
  });

  it('accepts core, the old name of contract, and refuses both at once', async () => {
    await writeFile(join(dir, 'MediaConduit.provider.yml'), VALID.replace('contract: ^0.1.0', 'core: ^0.1.0'));
    expect(await readManifest(dir)).toMatchObject({ contract: '^0.1.0', legacyCoreField: true });
    const { problems } = await problemsOf(VALID.replace('contract: ^0.1.0', 'contract: ^0.1.0\ncore: ^0.1.0'));
    expect(problems).toEqual([expect.objectContaining({ path: 'core', message: 'is the old name of "contract"; keep only "contract"' })]);
  });

  it('refuses YAML aliases', async () => {
    const { message } = await problemsOf(`${VALID}extra: &a [1]\nmore: *a\n`);
    expect(message).toMatch(/alias/i);
  });

  it('refuses duplicate keys', async () => {
    const { message } = await problemsOf(`${VALID}id: again\n`);
    expect(message).toMatch(/duplicat/i);
    expect(message).toMatch(/line 17/);
  });

  it('limits nesting depth', async () => {
    const deep = `${'['.repeat(40)}1${']'.repeat(40)}`;
    const { message } = await problemsOf(`${VALID}deep: ${deep}\n`);
    expect(message).toMatch(/depth/i);
  });

  it('caps the size', async () => {
    const { message } = await problemsOf(`${VALID}# ${'x'.repeat(MANIFEST_MAX_BYTES)}\n`);
    expect(message).toContain(`the limit is ${MANIFEST_MAX_BYTES}`);
  });

  it.each([
    ['../outside.ts', /stay inside the provider folder/],
    ['src/../../outside.ts', /stay inside the provider folder/],
    ['/etc/passwd', /not an absolute path/],
    ['src/missing.ts', /does not exist/],
  ])('refuses entry %s', async (entry, reason) => {
    const { problems } = await problemsOf(`${VALID}entry: ${entry}\n`);
    expect(problems).toEqual([{ path: 'entry', line: 17, message: expect.stringMatching(reason) }]);
  });

  it('refuses an entry that is a symlink leading out of the folder', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'mc-outside-'));
    await writeFile(join(outside, 'evil.ts'), 'export default {}');
    await symlink(join(outside, 'evil.ts'), join(dir, 'src/link.ts'));
    const { problems } = await problemsOf(`${VALID}entry: src/link.ts\n`);
    expect(problems[0]?.message).toMatch(/symlink that leads outside/);
    await rm(outside, { recursive: true, force: true });
  });

  it('refuses an entry that is not a regular file', async () => {
    execFileSync('mkfifo', [join(dir, 'src/pipe.ts')]);
    const { problems } = await problemsOf(`${VALID}entry: src/pipe.ts\n`);
    expect(problems[0]?.message).toMatch(/regular file/);
  });

  it('says what to do when the manifest is missing', async () => {
    await expect(readManifest(dir, 'github:acme/x')).rejects.toThrow(/no MediaConduit.provider.yml in the provider folder/);
  });
});
