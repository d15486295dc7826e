/** One model in the fake's `/models` list, shaped like the live API's (NOTES §2). */
export interface FakeModel {
  id: string;
  type: 'chat' | 'language' | 'code' | 'image' | 'audio' | 'transcribe' | 'embedding' | 'moderation' | 'rerank';
  display_name: string;
  organization: string;
  context_length: number;
  pricing: { hourly: number; input: number; output: number; base: number; finetune: number };
  /** Embedding length, for embedding models. */
  dimensions?: number;
  /** Voices, for audio models. */
  voices?: string[];
}

const price = (input: number, output = input, extra: Partial<FakeModel['pricing']> = {}) => ({ hourly: 0, input, output, base: 0, finetune: 0, ...extra });

/** The fake's default catalogue: real Together ids of every type. */
export const FAKE_MODELS: readonly FakeModel[] = [
  { id: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', type: 'chat', display_name: 'Llama 3.3 70B Instruct Turbo', organization: 'Meta', context_length: 131072, pricing: price(0.88) },
  {
    id: 'meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo',
    type: 'chat',
    display_name: 'Llama 3.1 8B Instruct Turbo',
    organization: 'Meta',
    context_length: 131072,
    pricing: price(0.18),
  },
  { id: 'Qwen/Qwen2.5-7B-Instruct-Turbo', type: 'chat', display_name: 'Qwen 2.5 7B Instruct Turbo', organization: 'Qwen', context_length: 32768, pricing: price(0.3) },
  { id: 'meta-llama/Meta-Llama-3-8B', type: 'language', display_name: 'Llama 3 8B', organization: 'Meta', context_length: 8192, pricing: price(0.2) },
  { id: 'Qwen/Qwen2.5-Coder-32B-Instruct', type: 'code', display_name: 'Qwen 2.5 Coder 32B', organization: 'Qwen', context_length: 32768, pricing: price(0.8) },
  {
    id: 'black-forest-labs/FLUX.1-schnell',
    type: 'image',
    display_name: 'FLUX.1 [schnell]',
    organization: 'Black Forest Labs',
    context_length: 0,
    pricing: price(0, 0, { base: 0.0027 }),
  },
  { id: 'black-forest-labs/FLUX.1-schnell-Free', type: 'image', display_name: 'FLUX.1 [schnell] Free', organization: 'Black Forest Labs', context_length: 0, pricing: price(0) },
  { id: 'black-forest-labs/FLUX.1-dev', type: 'image', display_name: 'FLUX.1 [dev]', organization: 'Black Forest Labs', context_length: 0, pricing: price(0, 0, { base: 0.025 }) },
  {
    id: 'cartesia/sonic',
    type: 'audio',
    display_name: 'Cartesia Sonic',
    organization: 'Together',
    context_length: 0,
    pricing: price(65, 0),
    voices: ['laidback woman', 'helpful woman', 'friendly sidekick'],
  },
  {
    id: 'hexgrad/Kokoro-82M',
    type: 'audio',
    display_name: 'Kokoro 82M',
    organization: 'hexgrad',
    context_length: 0,
    pricing: price(4, 0),
    voices: ['af_alloy', 'af_heart', 'am_adam'],
  },
  { id: 'openai/whisper-large-v3', type: 'transcribe', display_name: 'Whisper large v3', organization: 'OpenAI', context_length: 0, pricing: price(0.27, 0) },
  {
    id: 'togethercomputer/m2-bert-80M-8k-retrieval',
    type: 'embedding',
    display_name: 'M2-BERT 80M 8K',
    organization: 'Together',
    context_length: 8192,
    pricing: price(0.008, 0),
    dimensions: 768,
  },
  { id: 'BAAI/bge-base-en-v1.5', type: 'embedding', display_name: 'BGE Base EN v1.5', organization: 'BAAI', context_length: 512, pricing: price(0.008, 0), dimensions: 768 },
  { id: 'meta-llama/Llama-Guard-3-8B', type: 'moderation', display_name: 'Llama Guard 3 8B', organization: 'Meta', context_length: 8192, pricing: price(0.2) },
  { id: 'Salesforce/Llama-Rank-V1', type: 'rerank', display_name: 'LlamaRank', organization: 'Salesforce', context_length: 8192, pricing: price(0.1) },
];

/**
 * Base models the API description's own fine-tuning examples use (besides the chat and language
 * models of the catalogue, which the fake also accepts): what a newcomer copies from the docs.
 */
export const FINE_TUNABLE_EXAMPLES: readonly string[] = [
  'meta-llama/Meta-Llama-3.1-8B-Instruct-Reference',
  'meta-llama/Meta-Llama-3.1-70B-Instruct-Reference',
  'meta-llama/Meta-Llama-3-8B-Instruct',
  'mistralai/Mixtral-8x7B-Instruct-v0.1',
];
