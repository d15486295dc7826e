import type { FileSpec } from './git-repo.js';

/** Options of {@link echoProviderFiles}. */
export interface EchoProviderOptions {
  id?: string;
  /** The provider's version (also baked into its answers). Default `1.0.0`. */
  version?: string;
  /** The contract range its manifest asks for. Default `^0.1.0`. */
  contract?: string;
  /** Write the manifest and imports as providers did before the contract had its own package (`core:`, `@mediaconduit/core`). */
  legacy?: boolean;
  /** Extra source lines at the top of `src/index.ts`. */
  extra?: string;
  /** Capabilities the manifest declares. Default `['text-to-text']`. */
  capabilities?: string[];
  /** Capabilities the provider object claims. Default: the declared ones. */
  implemented?: string[];
}

/**
 * Files of a tiny but real text-to-text provider (model `echo-1` answers its input followed by
 * ` v<version>`), for tests that load providers: `createTestRepo({ files: echoProviderFiles() })`.
 */
export function echoProviderFiles(options: EchoProviderOptions = {}): Record<string, FileSpec> {
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
      `${options.legacy ? 'core' : 'contract'}: "${options.contract ?? '^0.1.0'}"`,
      'env:',
      '  - name: ECHO_PREFIX',
      '    description: Text put before every answer',
      '',
    ].join('\n'),
    'src/index.ts': `import { Text, MediaConduitError, modelWithCapability, type MediaProviderV1, type ProviderContextV1, type TextModelV1, type ModelInfoV1 } from '${options.legacy ? '@mediaconduit/core' : '@mediaconduit/provider'}';
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
    async getModel(modelId, options) {
      if (modelId !== 'echo-1') throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: 'unknown model ' + modelId });
      return modelWithCapability(model, options?.capability, '${id}');
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
