import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsonlCallLog, memoryCallLog } from './call-log.js';
import type { CallRecord } from './call-record.js';

const work = mkdtempSync(join(tmpdir(), 'mc-call-log-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const record = (n: number): CallRecord => ({
  kind: 'call',
  callId: `c-${n}`,
  time: new Date(0).toISOString(),
  provider: 'p',
  model: 'm',
  capability: 'text-to-text',
  operation: 'transform',
  status: 'ok',
  latencyMs: n,
  attempt: 1,
  input: { promptChars: n },
});

describe('memoryCallLog', () => {
  it('keeps the last records in order, oldest first', () => {
    const log = memoryCallLog({ capacity: 3 });
    for (let n = 1; n <= 2; n++) log.write(record(n));
    expect(log.records().map((r) => r.callId)).toEqual(['c-1', 'c-2']);
    for (let n = 3; n <= 7; n++) log.write(record(n));
    expect(log.records().map((r) => r.callId)).toEqual(['c-5', 'c-6', 'c-7']);
    log.clear();
    expect(log.records()).toEqual([]);
    expect(() => memoryCallLog({ capacity: 0 })).toThrow(/capacity/);
  });
});

describe('jsonlCallLog', () => {
  it('appends whole lines after the tick, in a private file, and keeps what was there', async () => {
    const path = join(work, 'nested/calls.jsonl');
    const log = jsonlCallLog(path);
    log.write(record(1));
    log.write(record(2));
    await new Promise((resolve) => setImmediate(resolve));
    log.write(record(3));
    await log.close?.();
    const again = jsonlCallLog(path);
    again.write(record(4));
    await again.close?.();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as CallRecord).callId)).toEqual(['c-1', 'c-2', 'c-3', 'c-4']);
    expect((await import('node:fs')).statSync(path).mode & 0o777).toBe(0o600);
  });

  it('reports a file it cannot write as a typed error, once, and never throws into the call', async () => {
    const blocked = join(work, 'blocked');
    writeFileSync(blocked, 'a file where a folder should be');
    const errors: unknown[] = [];
    const log = jsonlCallLog(join(blocked, 'calls.jsonl'), { onError: (error) => errors.push(error) });
    log.write(record(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([expect.objectContaining({ code: 'FILE_SYSTEM_ERROR', message: expect.stringContaining('write call log') })]);
    expect(() => log.close?.()).not.toThrow();
    chmodSync(blocked, 0o644);
  });
});
