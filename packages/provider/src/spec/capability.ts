/** Every capability a v1 provider can declare, in a stable order. */
export const CAPABILITIES = ['text-to-text', 'text-to-image', 'text-to-audio', 'audio-to-text', 'text-to-embedding'] as const;

/** What a model turns into what: chat, image generation, speech, transcription, embeddings. */
export type Capability = (typeof CAPABILITIES)[number];

/** True when `value` names a known capability. */
export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && (CAPABILITIES as readonly string[]).includes(value);
}
