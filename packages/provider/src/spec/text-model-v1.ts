import type { Text } from '../assets/text.js';
import type { CallOptionsV1 } from './call-options-v1.js';
import type { ModelInfoV1 } from './model-info-v1.js';
import type { UsageV1 } from '../assets/usage-v1.js';

/** One message of a conversation. */
export interface ChatMessageV1 {
  /** Who speaks. */
  role: 'system' | 'user' | 'assistant';
  /** What they say. */
  content: string;
}

/** A plain prompt, or a whole conversation. */
export type TextInputV1 = string | readonly ChatMessageV1[] | { messages: readonly ChatMessageV1[] };

/** Options of text generation. Unsupported options are ignored with a logged warning. */
export interface TextOptionsV1 extends CallOptionsV1 {
  /** Sampling temperature, usually 0 to 2. */
  temperature?: number;
  /** Nucleus sampling mass, 0 to 1. */
  topP?: number;
  /** Upper bound on generated tokens. */
  maxTokens?: number;
  /** Sequences that end generation. */
  stop?: string | readonly string[];
  /** Seed for reproducible sampling, where supported. */
  seed?: number;
  /** Ask for plain text, any JSON object, or JSON matching a schema. */
  responseFormat?: { type: 'text' } | { type: 'json_object' } | { type: 'json_schema'; schema: Readonly<Record<string, unknown>>; name?: string };
}

/** One piece of a streamed answer. */
export type TextStreamPartV1 =
  | { type: 'text-delta' /** The new text. */; text: string }
  | { type: 'finish' /** Why generation ended (`stop`, `length`, ...). */; finishReason: string /** Usage of the whole call. */; usage?: UsageV1 };

/** A `text-to-text` model: chat and completion. */
export interface TextModelV1 {
  /** Always `v1`. */
  readonly specificationVersion: 'v1';
  /** Always `text-to-text`. */
  readonly capability: 'text-to-text';
  /** The model id. */
  readonly id: string;
  /** What the provider reported about the model. */
  readonly info: ModelInfoV1;
  /** Generates a whole answer. */
  transform(input: TextInputV1, options?: TextOptionsV1): Promise<Text>;
  /** Streams the answer; stops early when `options.signal` aborts. */
  stream(input: TextInputV1, options?: TextOptionsV1): AsyncIterable<TextStreamPartV1>;
}
