/** Where the command writes and what it runs in. The bin passes the process's own; tests may pass others. */
export interface CliIo {
  stdout: { write(chunk: string | Uint8Array): unknown; isTTY?: boolean | undefined };
  stderr: { write(chunk: string): unknown; isTTY?: boolean | undefined; columns?: number | undefined };
  /** Read when an input is `-`. */
  stdin?: AsyncIterable<Uint8Array> | undefined;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on Ctrl-C (the CLI exits with 130), or when the reader of stdout went away (it exits quietly). */
  signal?: AbortSignal | undefined;
  /** True once the reader of stdout closed it (`mediaconduit … | head`): the command stops, says nothing more and exits 0. */
  outputClosed?: () => boolean;
}

/**
 * The process's own streams, environment and folder. When the reader of stdout goes away (`| head`,
 * `| true`), the write fails with EPIPE: the command is stopped through the signal and nothing more is
 * written, instead of an unhandled 'error' event. A closed stderr is ignored the same way.
 */
export function processIo(signal?: AbortSignal): CliIo {
  const closed = new AbortController();
  let stdoutClosed = false;
  let stderrClosed = false;
  process.stdout.on('error', () => {
    stdoutClosed = true;
    closed.abort(new Error('the reader of stdout closed it'));
  });
  process.stderr.on('error', () => {
    stderrClosed = true;
  });
  return {
    stdout: {
      write: (chunk: string | Uint8Array) => stdoutClosed || process.stdout.write(chunk),
      get isTTY() {
        return process.stdout.isTTY;
      },
    },
    stderr: {
      write: (chunk: string) => stderrClosed || process.stderr.write(chunk),
      get isTTY() {
        return process.stderr.isTTY;
      },
      get columns() {
        return process.stderr.columns;
      },
    },
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
    signal: signal ? AbortSignal.any([signal, closed.signal]) : closed.signal,
    outputClosed: () => stdoutClosed,
  };
}

/**
 * Characters a terminal acts on rather than shows: C0 controls but tab and newline (escape starts
 * colour, cursor and title sequences; carriage return rewrites a line), DEL, C1 controls, and the
 * bidirectional overrides that reorder what is shown.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this pattern's purpose
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** The same, with tab and newline: for one value (a name, an id, a table cell), which a newline would split into a line of its own. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const ONE_LINE_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` as it may reach a terminal: every character it would act on is written as its escape
 * (`\x1b`, `\u202e`); with `newlines: false`, tab and newline too. The command prints what
 * providers, services and models say (names, model ids, messages, job logs): code from Git must not
 * clear the screen, retitle the window or forge a line of the command's own output.
 */
export function printable(text: string, options: { newlines?: boolean } = {}): string {
  return text.replace(options.newlines === false ? ONE_LINE_UNPRINTABLE : UNPRINTABLE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** `word` as one word of a POSIX shell command line: as it is when it needs no quotes, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/** Output helpers shared by the commands: human lines, or one JSON document with `--json`. */
export class Output {
  constructor(
    readonly io: CliIo,
    readonly json: boolean,
    /** `--quiet`: results and errors only. */
    readonly quiet = false,
  ) {}

  /** A line of human output (nothing with `--json`). */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${printable(text)}\n`);
  }

  /** The command's JSON result (only with `--json`). */
  result(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** A note for people on stderr (nothing with `--json` or `--quiet`). */
  note(text: string): void {
    if (!this.json && !this.quiet) this.io.stderr.write(`${printable(text)}\n`);
  }
}

/** `1.2 s`, `340 ms`. */
export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** `12.3 MB`, `512 B`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Rows as left-aligned columns. */
export function table(given: readonly (readonly string[])[]): string[] {
  // A cell is one value: a newline in it (a provider's model id) must not start a row of its own.
  const rows = given.map((row) => row.map((cell) => printable(cell, { newlines: false })));
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}
