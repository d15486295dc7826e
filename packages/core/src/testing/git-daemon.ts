import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A real `git daemon` serving `root` over git:// on 127.0.0.1. */
export interface GitDaemon {
  baseUrl: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts `git daemon` on a free loopback port and waits until it accepts connections. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  const port = await freePort();
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', '--informative-errors', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('git daemon did not start within 10 s')), 10_000);
    child.stderr.on('data', (chunk: Buffer) => { if (/Ready to rumble/.test(chunk.toString())) { clearTimeout(timer); resolve(); } });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`git daemon exited with ${code}`)); });
  });
  child.stderr.resume();
  return {
    baseUrl: `git://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); }),
  };
}
