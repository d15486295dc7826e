import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { fileSystemError } from '../util/file-system-error.js';
import { createLogger } from '../util/logger.js';
import type { CallRecord } from './call-record.js';

/** Where call records go. `write` must not throw for the call's sake; the runtime catches and warns if it does. */
export interface CallLogSink {
  write(record: CallRecord): void;
  /** Flushes and releases what the sink holds (the registry calls it on `close()`). */
  close?(): void | Promise<void>;
}

/** A sink that keeps the last `capacity` records in memory. */
export interface MemoryCallLog extends CallLogSink {
  /** The kept records, oldest first. */
  records(): CallRecord[];
  clear(): void;
}

/** Keeps the last `capacity` records (default 1000) in a ring. */
export function memoryCallLog(options: { capacity?: number } = {}): MemoryCallLog {
  const capacity = options.capacity ?? 1000;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`memoryCallLog: capacity must be a whole number ≥ 1, got ${capacity}`);
  let ring: CallRecord[] = [];
  let next = 0;
  return {
    write(record) {
      if (ring.length < capacity) ring.push(record);
      else ring[next] = record;
      next = (next + 1) % capacity;
    },
    records: () => (ring.length < capacity ? [...ring] : [...ring.slice(next), ...ring.slice(0, next)]),
    clear() {
      ring = [];
      next = 0;
    },
  };
}

/**
 * Appends one JSON line per record to `path` (created with its folder, mode 0600: call logs are
 * private). Records written in the same tick go out in one append of whole lines right after
 * it, so logging adds no system call per model call, a crash never leaves half a record, and
 * several processes may share one file.
 */
export function jsonlCallLog(path: string, options: { onError?: (error: unknown) => void } = {}): CallLogSink {
  // A failing log (no space, no permission) must not fail the calls it logs: it is reported
  // once, typed, and the records written meanwhile are dropped.
  let failed = false;
  const onError =
    options.onError ??
    ((error: unknown) => {
      if (!failed) createLogger('calls').error(`call log ${path}: ${(error as Error).message}; records are being dropped`);
    });
  let fd: number | undefined;
  let pending = '';
  let scheduled: NodeJS.Immediate | undefined;
  const flush = () => {
    scheduled = undefined;
    if (pending === '') return;
    const text = pending;
    pending = '';
    try {
      if (fd === undefined) {
        mkdirSync(dirname(path), { recursive: true });
        fd = openSync(path, 'a', 0o600);
      }
      writeSync(fd, text);
    } catch (error) {
      const typed = fileSystemError(`write call log ${path}`, error);
      onError(MediaConduitError.isInstance(typed) ? typed : mcError('FILE_SYSTEM_ERROR', `write call log ${path}: ${(error as Error).message}`, { cause: error }));
      failed = true;
    }
  };
  return {
    write(record) {
      pending += `${JSON.stringify(record)}\n`;
      scheduled ??= setImmediate(flush);
    },
    close() {
      if (scheduled) clearImmediate(scheduled);
      flush();
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

/** Hands every record to `listener`. */
export function callbackCallLog(listener: (record: CallRecord) => void): CallLogSink {
  return { write: listener };
}
