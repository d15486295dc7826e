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

  it('keeps order and content while its columns grow, and after it wraps', () => {
    const log = memoryCallLog({ capacity: 700 });
    for (let n = 1; n <= 1000; n++) log.write(record(n));
    const kept = log.records();
    expect(kept).toHaveLength(700);
    expect(kept[0]).toStrictEqual(record(301));
    expect(kept[699]).toStrictEqual(record(1000));
    expect(kept.map((r) => r.latencyMs)).toEqual(Array.from({ length: 700 }, (_, i) => 301 + i));
  });

  it('gives back every field of every kind of record, as copies of what was written', () => {
    const full: CallRecord = {
      kind: 'call',
      callId: 'c-9',
      time: '2026-01-02T03:04:05.678Z',
      provider: 'together',
      model: 'flux',
      capability: 'text-to-image',
      operation: 'transformMany',
      status: 'ok',
      latencyMs: 12.345,
      attempt: 2,
      input: { promptChars: 40 },
      output: { images: 2, width: 1024, height: 768, bytes: 123456 },
      usage: { images: 2, inputTokens: 0 },
      costUsd: 0.0027,
      requestId: 'req-1',
      chain: 'images',
    };
    const failedAttempt: CallRecord = {
      ...record(2),
      kind: 'attempt',
      status: 'error',
      errorCode: 'RATE_LIMITED',
      errorMessage: 'slow down',
      httpStatus: 429,
      latencyMs: Number.NaN,
      output: {},
    };
    const fallback: CallRecord = {
      ...record(3),
      kind: 'fallback',
      input: { messages: 2, promptChars: 7, texts: 1, audioBytes: 9 },
      steps: [
        { provider: 'together', model: 'a', outcome: 'PROVIDER_ERROR', latencyMs: 3 },
        { provider: 'mock', model: 'b', outcome: 'ok', latencyMs: 1 },
      ],
    };
    // A provider may report usage fields of its own: they are kept too.
    const extra = {
      ...record(4),
      usage: { inputTokens: 1, cachedTokens: 5 } as CallRecord['usage'],
      output: { textChars: 3, tokens: 1, vectors: 2, dimensions: 8, audioSeconds: 1.5 },
    };
    // Fields written as undefined are left out, as JSON lines leave them out.
    const sparse = { ...record(5), output: undefined, usage: undefined, costUsd: undefined, errorCode: undefined, chain: undefined };
    const log = memoryCallLog({ capacity: 10 });
    for (const r of [full, failedAttempt, fallback, extra, sparse]) log.write(r);
    const { output: _unused, usage: _none, costUsd: _cost, errorCode: _code, chain: _chain, ...sparseKept } = sparse;
    const [a, b, c, d, e] = log.records();
    expect(a).toStrictEqual(full);
    expect(b).toStrictEqual(failedAttempt);
    expect(c).toStrictEqual(fallback);
    expect(d).toStrictEqual(extra);
    expect(e).toStrictEqual(sparseKept);
    // Copies both ways: changing what was written, or what was read, changes nothing kept.
    full.output!.width = 1;
    fallback.steps![0]!.latencyMs = 99;
    (extra.usage as Record<string, number>).cachedTokens = 0;
    a!.input.promptChars = 0;
    const [again, , third, fourth] = log.records();
    expect(again!.output!.width).toBe(1024);
    expect(again!.input.promptChars).toBe(40);
    expect(third!.steps![0]!.latencyMs).toBe(3);
    expect((fourth!.usage as Record<string, number>).cachedTokens).toBe(5);
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
