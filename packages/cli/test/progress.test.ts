import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/io.js';
import { Progress } from '../src/progress.js';

function io(isTTY: boolean) {
  const written: string[] = [];
  const value: CliIo = { stdout: { write: () => true }, stderr: { write: (chunk: string) => written.push(chunk), isTTY, columns: 80 }, env: {}, cwd: '/' };
  return { value, written };
}

describe('progress on stderr', () => {
  it('on a terminal, redraws the step under way with its elapsed time, then leaves a line with its duration', async () => {
    const { value, written } = io(true);
    const progress = new Progress(value, false);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'install', status: 'start', detail: 'tiny-dep' });
    await sleep(350);
    const frames = written.filter((w) => w.startsWith('\r\x1b[K') && w.length > 4);
    expect(frames.length).toBeGreaterThanOrEqual(3); // live, about ten times a second
    const last = frames.at(-1)!;
    expect(last.startsWith('\r\x1b[K')).toBe(true);
    expect(last.slice(4)).toMatch(/^. install github:acme\/x \(tiny-dep\) (2|3|4)\d\d ms$/);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'install', status: 'done', detail: 'tiny-dep', durationMs: 1530 });
    expect(written.at(-1)).toBe('✓ install github:acme/x (tiny-dep) 1.5 s\n');
    const count = written.length;
    await sleep(250);
    expect(written.length).toBe(count); // nothing more once no step is under way
  });

  it('elsewhere, prints one plain line when a step starts and one when it ends, with no control codes', () => {
    const { value, written } = io(false);
    const progress = new Progress(value, false);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'fetch', status: 'start', detail: 'a'.repeat(40) });
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'fetch', status: 'done', detail: 'a'.repeat(40), durationMs: 212 });
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'build', status: 'cached' });
    expect(written).toEqual(['fetch github:acme/x (aaaaaaaaaaaa) …\n', 'fetch github:acme/x (aaaaaaaaaaaa) done 212 ms\n', 'build cached github:acme/x\n']);
  });

  it('prints nothing with --json, but log lines still', () => {
    const { value, written } = io(true);
    const progress = new Progress(value, true);
    progress.start('k', 'step');
    progress.done('k');
    progress.log('mediaconduit:registry debug x');
    expect(written).toEqual(['mediaconduit:registry debug x\n']);
  });
});
