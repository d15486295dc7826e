import type { FileSpec } from '../../src/testing/index.js';

/** Files of a tiny but real text-to-text provider, for loading tests. */
export function echoProviderFiles(options: { id?: string; version?: string; core?: string; extra?: string; capabilities?: string[]; implemented?: string[] } = {}): Record<string, FileSpec> {
  const id = options.id ?? 'echo';
  const declared = options.capabilities ?? ['text-to-text'];
  const implemented = options.implemented ?? declared;
  return {
    'MediaConduit.provider.yml': [
      `id: ${id}`,
      'name: Echo Provider',
      `version: ${options.version ?? '1.0.0'}`,
      'description: Repeats its input',
      'type: local',
      'capabilities:',
      ...declared.map((c) => `  - ${c}`),
      `core: "${options.core ?? '^0.1.0'}"`,
      'env:',
      '  - name: ECHO_PREFIX',
      '    description: Text put before every answer',
      '',
    ].join('\n'),
    'src/index.ts': `import { Text, MediaConduitError, type MediaProviderV1, type ProviderContextV1, type TextModelV1, type ModelInfoV1 } from '@mediaconduit/core';
import { VERSION } from './version.js';
${options.extra ?? ''}
export default function createEcho(context: ProviderContextV1): MediaProviderV1 {
  const info: ModelInfoV1 = { id: 'echo-1', providerId: '${id}', capability: 'text-to-text' };
  const prefix = context.env('ECHO_PREFIX') ?? '';
  const model: TextModelV1 = {
    specificationVersion: 'v1', capability: 'text-to-text', id: 'echo-1', info,
    async transform(input) { return new Text(prefix + String(input) + ' v' + VERSION, { provider: '${id}', model: 'echo-1' }); },
    async *stream(input) { yield { type: 'text-delta', text: String(input) }; yield { type: 'finish', finishReason: 'stop' }; },
  };
  return {
    specificationVersion: 'v1', id: '${id}', name: 'Echo Provider', type: 'local', capabilities: ${JSON.stringify(implemented)},
    async listModels() { return [info]; },
    async getModel(modelId: string) {
      if (modelId !== 'echo-1') throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: 'unknown model ' + modelId });
      return model as never;
    },
    getModelsForCapability: (c) => (c === 'text-to-text' ? [info] : []),
    async isAvailable() { return true; },
    async getHealth() { return { status: 'healthy', checkedAt: new Date().toISOString() }; },
  };
}
`,
    'src/version.ts': `export const VERSION = '${options.version ?? '1.0.0'}';\n`,
  };
}
