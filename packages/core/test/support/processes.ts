import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';

/** A TCP server on 127.0.0.1 that accepts connections and never answers: a Git or npm server that stalls. */
export async function startSilentServer(): Promise<{ port: number; sockets: Socket[]; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * Runs `node <args>` to its end: its stdout, and how it ended. The backstop only makes a failing run
 * end (a child that never exits by itself is killed, which the caller sees as `SIGKILL`).
 */
export async function runToExit(args: readonly string[], backstopMs = 30_000): Promise<{ out: string; exit: { code: number | null; signal: string | null } }> {
  const child = spawn(process.execPath, [...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += String(chunk);
  });
  const backstop = setTimeout(() => child.kill('SIGKILL'), backstopMs);
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  clearTimeout(backstop);
  return { out, exit };
}
