import { join } from 'node:path';
import type { PrestartedProcess } from '../isolation/process-start.js';
import { MANIFEST_ID } from '../manifest/manifest.js';

/**
 * The process of an isolated load, started as soon as the load knows the provider's id (a warm
 * load: from the lockfile, before the bundle is verified; a cold one: from the manifest, before
 * install and build), so that Node's start-up there overlaps the host's own work. The load takes
 * it when it instantiates the provider; a process started for an id the manifest does not confirm,
 * or one the load did not take, is ended when the load ends. At most one start per load.
 */
export class EarlyProcess {
  private process: PrestartedProcess | undefined;
  private starting: Promise<void> | undefined;
  private ended = false;

  constructor(
    private readonly cacheDir: string,
    private readonly memoryMb: number,
  ) {}

  /** Starts the process for provider `id` (its scratch folder is `state/providers/<id>`). */
  start(id: string): Promise<void> | undefined {
    if (this.starting || !MANIFEST_ID.test(id)) return this.starting;
    this.starting = import('../isolation/process-start.js').then(
      (starter) => {
        const started = starter.prestartProviderProcess(join(this.cacheDir, 'state', 'providers', id), this.memoryMb);
        if (this.ended) started?.release();
        else this.process = started;
      },
      () => {},
    );
    return this.starting;
  }

  /** The process, once started (one still starting is waited for: the load uses it rather than start a second). */
  async take(): Promise<PrestartedProcess | undefined> {
    await this.starting;
    return this.process;
  }

  /** The load is over: a process it did not take is ended (one still starting, once started). */
  async end(): Promise<void> {
    this.ended = true;
    await this.starting;
    this.process?.release();
  }
}
