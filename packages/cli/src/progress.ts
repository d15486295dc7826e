import type { ProgressEvent } from '@mediaconduit/core';
import { formatMs, printable, type CliIo } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** The time and the redraw timer of the live line; tests pass their own. */
export interface ProgressClock {
  now(): number;
  /** Calls `redraw` about ten times a second until the returned function is called. */
  every(redraw: () => void): () => void;
}

const realClock: ProgressClock = {
  now: () => performance.now(),
  every: (redraw) => {
    const timer = setInterval(redraw, 100);
    timer.unref();
    return () => clearInterval(timer);
  },
};

/**
 * Progress of long steps on stderr. On a terminal, the step under way is one line redrawn with
 * its elapsed time ten times a second, and each finished step leaves a line with its duration.
 * Elsewhere (a pipe, a file, CI) each step that does work (resolve, fetch, install, build) prints a
 * plain line when it starts and when it ends; what the cache served and the import print nothing, so
 * a warm run is silent. With `--json` or `--quiet`, nothing is printed but log lines.
 */
export class Progress {
  private readonly live: boolean;
  private readonly steps = new Map<string, { label: string; started: number; stage?: string }>();
  private stopTimer: (() => void) | undefined;
  private frame = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly quiet: boolean,
    private readonly clock: ProgressClock = realClock,
  ) {
    this.live = io.stderr.isTTY === true && io.env.TERM !== 'dumb' && !quiet;
  }

  /** A load step from the registry's `onProgress`. */
  readonly onLoadEvent = (event: ProgressEvent): void => {
    if (event.status === 'cached') return;
    const key = `${event.phase} ${event.specifier}`;
    const label = `${event.phase} ${event.specifier}${event.detail && event.phase !== 'import' ? ` (${short(event.detail).replace(/^\((.*)\)$/, '$1')})` : ''}`;
    // The import runs on every load, warm ones too: shown live on a terminal, never as a line of its own.
    const transient = event.phase === 'import';
    if (event.status === 'start') this.start(key, label, { transient });
    else this.done(key, label, event.durationMs);
  };

  /** A step begins; a `transient` one shows only on the live line. `stage`: see {@link update}. */
  start(key: string, label: string, { transient = false, stage }: { transient?: boolean; stage?: string } = {}): void {
    const at = transient ? TRANSIENT : stage;
    this.steps.set(key, { label, started: this.clock.now(), ...(at === undefined ? {} : { stage: at }) });
    if (this.live) {
      this.stopTimer ??= this.clock.every(() => this.draw());
      this.draw();
    } else if (!transient) this.print(`${label} …`);
  }

  /**
   * A step under way says something new (training progress). Off a terminal, a line is printed
   * only when `stage` changes (a job's status), not for every new figure.
   */
  update(key: string, label: string, stage = label): void {
    const step = this.steps.get(key);
    if (!step) {
      this.start(key, label, { stage });
      return;
    }
    if (!this.live && step.stage !== stage) this.print(`${label} (${formatMs(this.clock.now() - step.started)})`);
    step.label = label;
    step.stage = stage;
    if (this.live) this.draw();
  }

  /** A step ended well. */
  done(key: string, label?: string, durationMs?: number): void {
    this.end(key, label, durationMs, true);
  }

  /** A step failed: it says so, never "done". */
  fail(key: string, label?: string): void {
    this.end(key, label, undefined, false);
  }

  private end(key: string, label: string | undefined, durationMs: number | undefined, ok: boolean): void {
    const step = this.steps.get(key);
    this.steps.delete(key);
    const ms = durationMs ?? (step ? this.clock.now() - step.started : undefined);
    const elapsed = ms === undefined ? '' : ` ${formatMs(ms)}`;
    const text = label ?? step?.label ?? key;
    if (step?.stage !== TRANSIENT) this.print(this.live ? `${ok ? '✓' : '✗'} ${text}${elapsed}` : `${text} ${ok ? 'done' : 'failed'}${elapsed}`);
    if (this.steps.size === 0) this.endTimer();
    else if (this.live) this.draw();
  }

  /** A permanent line on stderr that does not tear the live line (nothing with `--json` or `--quiet`). */
  print(line: string): void {
    if (!this.quiet) this.log(line);
  }

  /** Writes a log line (warnings, the debug log) the same way, even with `--json`. */
  log(line: string): void {
    this.clear();
    this.io.stderr.write(`${printable(line)}\n`);
    if (this.live && this.steps.size > 0) this.draw();
  }

  /** Ends every step and removes the live line. */
  stop(): void {
    this.steps.clear();
    this.endTimer();
  }

  private endTimer(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
    this.clear();
  }

  private clear(): void {
    if (this.drawn) this.io.stderr.write('\r\x1b[K');
    this.drawn = false;
  }

  private draw(): void {
    const last = [...this.steps.values()].at(-1);
    if (!last) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const more = this.steps.size > 1 ? ` (+${this.steps.size - 1})` : '';
    let text = printable(`${FRAMES[this.frame]} ${last.label}${more} ${formatMs(this.clock.now() - last.started)}`);
    // A terminal that reports no width (0 or none) gets the whole line.
    const columns = this.io.stderr.columns;
    if (columns !== undefined && columns > 2 && text.length >= columns) text = `${text.slice(0, columns - 2)}…`;
    this.io.stderr.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }
}

/** The stage of a step that never leaves a line. */
const TRANSIENT = '\0transient';

const short = (detail: string) => (/^[0-9a-f]{40}$/.test(detail) ? detail.slice(0, 12) : detail);
