import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The command as a user runs it: the package's bin, in a child process, with no terminal. */
export const BIN = fileURLToPath(new URL('../bin/mediaconduit.js', import.meta.url));

/** What one run of the command gave. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `mediaconduit …args` to its end (at most `timeoutMs`, then it is killed). */
export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; bin?: string; timeoutMs?: number; input?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [options.bin ?? BIN, ...args],
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`mediaconduit ${args.join(' ')}: ${error.message}\n${stderr}`));
        resolve({ code: error ? (error.code as number) : 0, out: stdout, err: stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
