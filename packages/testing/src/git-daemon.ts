import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';

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

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts `git daemon` on a free loopback port and waits until it accepts connections. */
export async function startGitDaemon(root: string): Promise<GitDaemon> {
  const port = await freePort();
  const child = spawn('git', ['daemon', '--reuseaddr', '--export-all', '--informative-errors', `--base-path=${root}`, '--listen=127.0.0.1', `--port=${port}`, root], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exited: number | null | undefined;
  child.on('exit', (code) => {
    exited = code;
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited !== undefined) throw new Error(`git daemon exited with ${exited}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('git daemon did not accept connections within 10 s');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.stderr.resume();
  return {
    baseUrl: `git://127.0.0.1:${port}/`,
    close: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
