import { describe, expect, it } from 'vitest';
import type { CliIo } from '../src/io.js';
import { Progress, type ProgressClock } from '../src/progress.js';

/** `columns: null`: a terminal that reports no width at all. */
function io(isTTY: boolean, columns: number | null = 80) {
  const written: string[] = [];
  const stderr = { write: (chunk: string) => written.push(chunk), isTTY, ...(columns === null ? {} : { columns }) };
  const value: CliIo = { stdout: { write: () => true }, stderr, env: {}, cwd: '/' };
  return { value, written };
}

/** A clock the test moves, and a redraw timer the test fires. */
function manualClock() {
  let now = 0;
  let redraw: (() => void) | undefined;
  const clock: ProgressClock = {
    now: () => now,
    every: (fn) => {
      redraw = fn;
      return () => {
        redraw = undefined;
      };
    },
  };
  return {
    clock,
    /** Moves the time on by `ms` and fires the timer, as a tick would. */
    tick(ms: number) {
      now += ms;
      redraw?.();
    },
    running: () => redraw !== undefined,
  };
}

describe('progress on stderr', () => {
  it('on a terminal, redraws the step under way with its elapsed time, then leaves a line with its duration', () => {
    const { value, written } = io(true);
    const time = manualClock();
    const progress = new Progress(value, false, time.clock);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'install', status: 'start', detail: 'tiny-dep' });
    for (let i = 0; i < 3; i++) time.tick(100);
    const frames = written.filter((w) => w.startsWith('\r\x1b[K') && w.length > 4);
    expect(frames).toHaveLength(4); // drawn at the start, then at every tick
    expect(frames.at(-1)!.slice(4)).toMatch(/^. install github:acme\/x \(tiny-dep\) 300 ms$/);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'install', status: 'done', detail: 'tiny-dep', durationMs: 1530 });
    expect(written.at(-1)).toBe('✓ install github:acme/x (tiny-dep) 1.5 s\n');
    expect(time.running()).toBe(false); // nothing more once no step is under way
  });

  it('elsewhere, prints one plain line when a working step starts and one when it ends, with no control codes', () => {
    const { value, written } = io(false);
    const progress = new Progress(value, false, manualClock().clock);
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'fetch', status: 'start', detail: 'a'.repeat(40) });
    progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'fetch', status: 'done', detail: 'a'.repeat(40), durationMs: 212 });
    expect(written).toEqual(['fetch github:acme/x (aaaaaaaaaaaa) …\n', 'fetch github:acme/x (aaaaaaaaaaaa) done 212 ms\n']);
  });

  it('prints nothing for a warm load: steps the cache served, and the import', () => {
    for (const tty of [false, true]) {
      const { value, written } = io(tty);
      const progress = new Progress(value, false, manualClock().clock);
      for (const phase of ['resolve', 'fetch', 'install', 'build'] as const) progress.onLoadEvent({ specifier: 'github:acme/x', phase, status: 'cached', detail: 'b'.repeat(40) });
      progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'import', status: 'start' });
      progress.onLoadEvent({ specifier: 'github:acme/x', phase: 'import', status: 'done', durationMs: 12 });
      progress.stop();
      // On a terminal the import may show on the live line while it runs; no line stays.
      expect(
        written.filter((w) => w.endsWith('\n')),
        `tty ${tty}`,
      ).toEqual([]);
    }
  });

  it("in a pipe, prints a line per change of a training job's status, not per poll", () => {
    const { value, written } = io(false);
    const progress = new Progress(value, false, manualClock().clock);
    progress.start('train j', 'train j: queued', { stage: 'queued' });
    progress.update('train j', 'train j: queued', 'queued');
    for (let percent = 0; percent <= 100; percent += 10) progress.update('train j', `train j: running ${percent}%`, 'running');
    progress.update('train j', 'train j: completed 100%', 'completed');
    progress.done('train j', 'train j: completed');
    expect(written).toEqual(['train j: queued …\n', 'train j: running 0% (0 ms)\n', 'train j: completed 100% (0 ms)\n', 'train j: completed done 0 ms\n']);
  });

  it('a failed step says failed, never done', () => {
    const { value, written } = io(false);
    const progress = new Progress(value, false, manualClock().clock);
    progress.start('train j', 'train j: running');
    progress.fail('train j', 'train j: TRAINING_FAILED');
    expect(written.at(-1)).toBe('train j: TRAINING_FAILED failed 0 ms\n');
    const tty = io(true);
    const live = new Progress(tty.value, false, manualClock().clock);
    live.start('s', 'step');
    live.fail('s');
    expect(tty.written.at(-1)).toBe('✗ step 0 ms\n');
  });

  it('cuts the live line to the terminal width, and not at all when the terminal reports no width', () => {
    const label = `fetch ${'x'.repeat(100)}`;
    for (const [columns, cut] of [
      [40, true],
      [0, false],
      [null, false],
    ] as const) {
      const { value, written } = io(true, columns);
      const progress = new Progress(value, false, manualClock().clock);
      progress.start('k', label);
      const frame = written.at(-1)!.slice(4);
      if (cut) expect(frame).toHaveLength(39);
      else expect(frame).toContain(label);
      progress.stop();
    }
  });

  it('prints nothing with --json or --quiet, but log lines still', () => {
    const { value, written } = io(true);
    const progress = new Progress(value, true);
    progress.start('k', 'step');
    progress.done('k');
    progress.log('mediaconduit:registry debug x');
    expect(written).toEqual(['mediaconduit:registry debug x\n']);
  });
});
