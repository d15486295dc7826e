// Starting a provider's process: its command line (Node's permission model, the heap cap) and the
// spawn itself. Kept apart from isolated-provider so that a load can start the process while the
// rest of the isolation code is still being imported.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';

/** The child's entry: beside this module in the built core (`dist/isolation/child-main.cjs`), also when core runs from its sources. */
function childEntry(): string {
  const here = import.meta.url;
  return fileURLToPath(new URL(/\/src\/isolation\/[^/]+$/.test(here) ? '../../dist/isolation/child-main.cjs' : './child-main.cjs', here));
}

/** The permission flags this Node offers: `--permission` (Node ≥ 23.5) or `--experimental-permission`. */
function permissionFlags(): string[] {
  const flags = process.allowedNodeEnvironmentFlags;
  return [flags.has('--permission') ? '--permission' : '--experimental-permission', ...(flags.has('--disable-warning') ? ['--disable-warning=ExperimentalWarning'] : [])];
}

/** The command line of a provider's process: what it may read and write, and its heap cap. */
export function childArgs(dataDir: string, memoryMb: number): string[] {
  // Its dependencies are bundled into the bundle it is sent: it reads no folder of theirs.
  const reads = [childEntry(), dataDir];
  // One flag per path: Node 20.20 no longer reads a comma-separated list.
  return [...permissionFlags(), ...reads.map((path) => `--allow-fs-read=${path}`), `--allow-fs-write=${dataDir}`, `--max-old-space-size=${memoryMb}`, childEntry()];
}

/** Starts a provider's process with an empty environment; fd 3 is its channel (a socket pair; see channel.ts). */
export function spawnProviderProcess(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], env: {} });
}

/** A provider's process started ahead of its load; it waits for the bundle it is to run. */
export interface PrestartedProcess {
  /** Used by the load it was started for: it is that load's to end. */
  adopt(args: readonly string[]): { child: ChildProcess; stderr: string } | undefined;
  /** Ends it unless it was adopted. */
  release(): void;
}

/**
 * Starts the process of a provider the host is about to load (the registry calls this as soon as
 * it knows the provider's id: from the lockfile before a warm load verifies the bundle, from the
 * manifest before a cold load installs and builds): Node's start-up, the longest part of an
 * isolated load, then overlaps the host's own work. Nothing runs in it
 * until the verified bundle is sent; a process whose arguments turn out wrong is ended unused.
 * Synchronous, so that the process starts before the host's next task. Undefined when it could
 * not start (the load then starts one itself, and reports what fails).
 */
export function prestartProviderProcess(dataDir: string, memoryMb: number): PrestartedProcess | undefined {
  const args = childArgs(dataDir, memoryMb);
  let child: ChildProcess;
  try {
    mkdirSync(dataDir, { recursive: true });
    child = spawnProviderProcess(args);
  } catch {
    return undefined;
  }
  let stderr = '';
  let exited = false;
  let adopted = false;
  const keep = (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4096);
  };
  child.stderr?.on('data', keep);
  child.once('exit', () => {
    exited = true;
  });
  child.once('error', () => {
    exited = true;
  });
  (child.stdio[3] as Duplex | null)?.on('error', () => {});
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  return {
    adopt(wanted) {
      if (adopted || exited || wanted.length !== args.length || wanted.some((arg, i) => arg !== args[i])) return undefined;
      adopted = true;
      child.stderr?.off('data', keep);
      return { child, stderr };
    },
    release() {
      if (!adopted) kill();
    },
  };
}
