import type { FileSpec } from '@mediaconduit/testing';

/**
 * A provider that tries what a stranger's code would: its one model's `transform(command)` reads
 * the environment, files, spawns, writes heap snapshots, asks for URLs, exits, hangs or eats memory,
 * and answers with what happened (as JSON). `atImport` runs when the bundle is imported, and
 * `initialize` inside `initialize()`.
 */
export function hostileProviderFiles(options: { id?: string; atImport?: string; initialize?: string; secretOrigins?: readonly string[] } = {}): Record<string, FileSpec> {
  const id = options.id ?? 'hostile';
  const origins = options.secretOrigins ?? ['https://api.example.com'];
  return {
    'MediaConduit.provider.yml': [
      `id: ${id}`,
      'name: Hostile Provider',
      'version: 1.0.0',
      'type: remote',
      'capabilities:',
      '  - text-to-text',
      'contract: "^0.1.0"',
      'env:',
      '  - name: HOSTILE_API_KEY',
      '    required: true',
      '    secret:',
      '      origins:',
      ...origins.map((o) => `        - ${o}`),
      '      header: "Authorization: Bearer {value}"',
      '  - name: HOSTILE_REGION',
      '    description: a setting that is not secret',
      '  - name: HOSTILE_OLD_TOKEN',
      '    description: "a secret without a delivery, never handed to an isolated provider"',
      '',
    ].join('\n'),
    'src/index.ts': `import { Text, MediaConduitError, type MediaProviderV1, type ProviderContextV1, type TextModelV1, type ModelInfoV1 } from '@mediaconduit/provider';
import * as fs from 'node:fs';
import * as childProcess from 'node:child_process';
import * as workers from 'node:worker_threads';
import * as v8 from 'node:v8';
import { join } from 'node:path';

${options.atImport ?? ''}

async function run(context: ProviderContextV1, command: string): Promise<unknown> {
  const [verb, ...rest] = command.split(' ');
  const arg = rest.join(' ');
  const attempt = async (fn: () => unknown) => { try { return { ok: await fn() }; } catch (error) { return { error: (error as { code?: string }).code ?? String(error) }; } };
  switch (verb) {
    case 'env': return { processEnv: { ...process.env }, key: context.env('HOSTILE_API_KEY') ?? null, required: context.requireEnv('HOSTILE_API_KEY'), region: context.env('HOSTILE_REGION') ?? null, oldToken: context.env('HOSTILE_OLD_TOKEN') ?? null };
    case 'read': return attempt(() => fs.readFileSync(arg, 'utf8').slice(0, 100));
    case 'write': return attempt(() => { fs.writeFileSync(arg, 'written by a provider'); return 'written'; });
    case 'scratch': return attempt(() => { const file = join(context.dataDir!, 'note.txt'); fs.writeFileSync(file, 'mine'); return fs.readFileSync(file, 'utf8'); });
    case 'spawn': return attempt(() => childProcess.execFileSync('true').toString());
    case 'worker': return attempt(() => { const w = new workers.Worker('1', { eval: true }); void w.terminate(); return 'started'; });
    case 'heap': return attempt(() => v8.writeHeapSnapshot(join(context.dataDir!, 'heap.heapsnapshot')));
    case 'addon': return attempt(() => { process.dlopen({ exports: {} }, arg); return 'loaded'; });
    case 'pid': return process.pid;
    case 'exit': process.exit(3);
    case 'throw-later': setTimeout(() => { throw new Error('thrown outside any call'); }, 0); return 'scheduled';
    case 'hang': for (;;) {}
    case 'oom': { const hold: string[][] = []; for (;;) hold.push(new Array(1e6).fill('x'.repeat(8))); }
    case 'pollute': (Object.prototype as Record<string, unknown>).polluted = 'yes'; (globalThis as Record<string, unknown>).fetch = () => 'hijacked'; return 'done';
    case 'get': {
      const client = context.createHttpClient({ baseURL: arg, headers: { authorization: 'Bearer ' + context.requireEnv('HOSTILE_API_KEY') } });
      const response = await client.request({ method: 'GET', path: arg + '/whoami', operation: 'hostile get' });
      return { status: response.status, body: await response.body.json() };
    }
    case 'flood': {
      // 300 requests at once through the host to a server that never answers; counts those the host refuses.
      const client = context.createHttpClient({ baseURL: arg });
      const stop = new AbortController();
      const codes: string[] = [];
      let refusedAll: () => void = () => {};
      const refused = new Promise<void>((resolve) => { refusedAll = resolve; });
      const requests = Array.from({ length: 300 }, () =>
        client.request({ method: 'GET', path: '/hang', operation: 'hostile flood', signal: stop.signal }).then(
          () => 'answered',
          (error: { code?: string }) => { codes.push(error.code ?? 'none'); if (codes.filter((c) => c === 'LIMIT_EXCEEDED').length === 300 - 256) refusedAll(); },
        ),
      );
      await refused;
      stop.abort();
      await Promise.allSettled(requests);
      return { limited: codes.filter((c) => c === 'LIMIT_EXCEEDED').length, aborted: codes.filter((c) => c === 'ABORTED').length };
    }
    case 'fail': throw new MediaConduitError({ code: 'RATE_LIMITED', message: 'slow down', retryable: false, status: 429, retryAfterMs: 1234, details: { where: 'hostile' } });
    default: return 'unknown command ' + verb;
  }
}

export default function create(context: ProviderContextV1): MediaProviderV1 {
  const info: ModelInfoV1 = { id: 'cmd', providerId: '${id}', capability: 'text-to-text' };
  const model: TextModelV1 = {
    specificationVersion: 'v1', capability: 'text-to-text', id: 'cmd', info,
    async transform(input) { return new Text(JSON.stringify(await run(context, String(input))), { provider: '${id}', model: 'cmd' }); },
    async *stream(input) {
      if (String(input) === 'flood-stream') {
        // Parts written straight onto the channel (fd 3), past the flow control, for every likely stream id.
        for (let id = 1; id <= 40; id++) {
          const json = Buffer.from(JSON.stringify(Array.from({ length: 40 }, () => ({ t: 'item', id, value: { type: 'text-delta', text: 'x' } }))));
          const header = Buffer.alloc(12);
          header.writeUInt32LE(json.length, 0);
          fs.writeSync(3, Buffer.concat([header, json]));
        }
        await new Promise(() => {});
      }
      for (const word of String(input).split(' ')) yield { type: 'text-delta', text: word };
      yield { type: 'finish', finishReason: 'stop' };
    },
  };
  return {
    specificationVersion: 'v1', id: '${id}', name: 'Hostile Provider', type: 'remote', capabilities: ['text-to-text'],
    async initialize() { ${options.initialize ?? ''} },
    async listModels() { return [info]; },
    async getModel(modelId) { if (modelId !== 'cmd') throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: 'unknown model ' + modelId }); return model; },
    getModelsForCapability: (c) => (c === 'text-to-text' ? [info] : []),
    async isAvailable() { return true; },
    async getHealth() { return { status: 'healthy', checkedAt: new Date().toISOString() }; },
  };
}
`,
  };
}
