import type { ProgressEvent } from '@mediaconduit/core';
import { formatMs, type CliIo } from './io.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of long steps on stderr. On a terminal, the step under way is one line redrawn with
 * its elapsed time ten times a second, and each finished step leaves a line with its duration.
 * Elsewhere (a pipe, a file, CI) each step prints a plain line when it starts and when it ends.
 * With `--json`, nothing is printed.
 */
export class Progress {
  private readonly live: boolean;
  private readonly steps = new Map<string, { label: string; started: number }>();
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private drawn = false;

  constructor(
    private readonly io: CliIo,
    private readonly quiet: boolean,
  ) {
    this.live = io.stderr.isTTY === true && io.env.TERM !== 'dumb' && !quiet;
  }

  /** A load step from the registry's `onProgress`. */
  readonly onLoadEvent = (event: ProgressEvent): void => {
    const key = `${event.phase} ${event.specifier}`;
    const label = `${event.phase} ${event.specifier}${event.detail && event.phase !== 'import' ? ` (${short(event.detail).replace(/^\((.*)\)$/, '$1')})` : ''}`;
    if (event.status === 'start') this.start(key, label);
    else if (event.status === 'done') this.done(key, label, '✓', event.durationMs);
    else if (!this.live) this.print(`${event.phase} cached ${event.specifier}`);
  };

  /** A step begins. */
  start(key: string, label: string): void {
    this.steps.set(key, { label, started: performance.now() });
    if (this.live) {
      this.timer ??= setInterval(() => this.draw(), 100);
      this.timer.unref();
      this.draw();
    } else this.print(`${label} …`);
  }

  /** A step under way says something new (training progress). */
  update(key: string, label: string): void {
    const step = this.steps.get(key);
    if (!step) {
      this.start(key, label);
      return;
    }
    if (!this.live && step.label !== label) this.print(`${label} (${formatMs(performance.now() - step.started)})`);
    step.label = label;
    if (this.live) this.draw();
  }

  /** A step ended. */
  done(key: string, label?: string, mark = '✓', durationMs?: number): void {
    const step = this.steps.get(key);
    this.steps.delete(key);
    const ms = durationMs ?? (step ? performance.now() - step.started : undefined);
    const elapsed = ms === undefined ? '' : ` ${formatMs(ms)}`;
    this.print(this.live ? `${mark} ${label ?? step?.label ?? key}${elapsed}` : `${label ?? step?.label ?? key} done${elapsed}`);
    if (this.steps.size === 0) this.stopTimer();
  }

  /** A permanent line on stderr that does not tear the live line (nothing with `--json`). */
  print(line: string): void {
    if (!this.quiet) this.log(line);
  }

  /** Writes a log line (the debug log) the same way, even with `--json`. */
  log(line: string): void {
    this.clear();
    this.io.stderr.write(`${line}\n`);
    if (this.live && this.steps.size > 0) this.draw();
  }

  /** Ends every step and removes the live line. */
  stop(): void {
    this.steps.clear();
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
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
    let text = `${FRAMES[this.frame]} ${last.label}${more} ${formatMs(performance.now() - last.started)}`;
    const columns = this.io.stderr.columns ?? 80;
    if (text.length >= columns) text = `${text.slice(0, columns - 2)}…`;
    this.io.stderr.write(`\r\x1b[K${text}`);
    this.drawn = true;
  }
}

const short = (detail: string) => (/^[0-9a-f]{40}$/.test(detail) ? detail.slice(0, 12) : detail);
