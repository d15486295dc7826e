import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MediaConduitError } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import { fileSystemError } from '../util/file-system-error.js';
import { createLogger } from '../util/logger.js';
import type { CallLogSink, CallRecord } from './call-record.js';

export type { CallLogSink } from './call-record.js';

export { memoryCallLog, type MemoryCallLog } from './memory-call-log.js';

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
