// A MediaConduit provider with one model. The registry imports this file's default export and
// calls it with a context (settings, environment, HTTP client, logger); it returns the provider.
// Replace the model with yours, add capabilities to the manifest as you implement them, and run
// `npx mediaconduit validate .` after each step.
import {
  closestMatches,
  MediaConduitError,
  modelWithCapability,
  Text,
  type MediaProviderV1,
  type ModelInfoV1,
  type ProviderContextV1,
  type TextInputV1,
  type TextModelV1,
} from '@mediaconduit/provider';

const PROVIDER_ID = '__ID__';
const PROVIDER_NAME = '__NAME__';

const ECHO: ModelInfoV1 = { id: `${PROVIDER_ID}/echo-1`, providerId: PROVIDER_ID, capability: 'text-to-text' };

/** The prompt: the text itself, or the last user message of a conversation. */
function promptOf(input: TextInputV1): string {
  if (typeof input === 'string') return input;
  const messages = 'messages' in input ? input.messages : input;
  const last = [...messages].reverse().find((m) => m.role === 'user');
  if (!last) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${PROVIDER_ID}: the conversation has no user message` });
  return last.content;
}

function createEchoModel(): TextModelV1 {
  const answer = (input: TextInputV1) => {
    const text = promptOf(input);
    const words = text.split(/\s+/).filter(Boolean).length;
    return { text, usage: { inputTokens: words, outputTokens: words, totalTokens: 2 * words } };
  };
  return {
    specificationVersion: 'v1',
    capability: 'text-to-text',
    id: ECHO.id,
    info: ECHO,
    async transform(input) {
      const { text, usage } = answer(input);
      return new Text(text, { provider: PROVIDER_ID, model: ECHO.id, finishReason: 'stop', usage });
    },
    async *stream(input) {
      const { text, usage } = answer(input);
      for (const word of text.split(/(?<=\s)/)) yield { type: 'text-delta', text: word };
      yield { type: 'finish', finishReason: 'stop', usage };
    },
  };
}

/** The provider. `context.config` holds the settings passed to `getProvider(url, { config })`. */
export default function createProvider(_context: ProviderContextV1): MediaProviderV1 {
  const echo = createEchoModel();
  return {
    specificationVersion: 'v1',
    id: PROVIDER_ID,
    name: PROVIDER_NAME,
    type: 'local',
    capabilities: ['text-to-text'],
    async listModels(options) {
      return !options?.capability || options.capability === 'text-to-text' ? [{ ...ECHO }] : [];
    },
    async getModel(id, options) {
      if (id !== ECHO.id) {
        const closest = closestMatches(id, [ECHO.id]);
        throw new MediaConduitError({ code: 'MODEL_NOT_FOUND', message: `${PROVIDER_ID}: no model "${id}"; closest: ${closest.join(', ')}`, details: { closest } });
      }
      return modelWithCapability(echo, options?.capability, PROVIDER_ID);
    },
    getModelsForCapability: (capability) => (capability === 'text-to-text' ? [{ ...ECHO }] : []),
    isAvailable: async () => true,
    getHealth: async () => ({ status: 'healthy', checkedAt: new Date().toISOString() }),
  };
}
