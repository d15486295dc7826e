/** A step of loading a provider, reported through `onProgress`. */
export interface ProgressEvent {
  /** The specifier being loaded. */
  specifier: string;
  /** Which step. */
  phase: 'resolve' | 'fetch' | 'install' | 'build' | 'import';
  /** `start` and `done` bracket work; `cached` means the step was served from the cache. */
  status: 'start' | 'done' | 'cached';
  /** What the step worked on (a commit, a ref, a bundle file). */
  detail?: string;
  /** Duration of the step, on `done`. */
  durationMs?: number;
}
