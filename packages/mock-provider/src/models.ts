import type { Capability, ModelInfoV1 } from '@mediaconduit/provider';
import { PROVIDER_ID } from './provider-info.js';

const model = (id: string, capability: Capability, displayName: string, extra: Partial<ModelInfoV1> = {}): ModelInfoV1 => ({
  id,
  providerId: PROVIDER_ID,
  capability,
  displayName,
  organization: 'MediaConduit',
  ...extra,
});

/** Every model the mock serves: two or more per capability. */
export const MOCK_MODELS: readonly ModelInfoV1[] = [
  model('mock/haiku-1', 'text-to-text', 'Mock Haiku', { contextLength: 4096 }),
  model('mock/echo-1', 'text-to-text', 'Mock Echo', { contextLength: 4096 }),
  model('mock/gradient-1', 'text-to-image', 'Mock Gradient'),
  model('mock/stripes-1', 'text-to-image', 'Mock Stripes'),
  model('mock/tone-voice-1', 'text-to-audio', 'Mock Tone Voice'),
  model('mock/tone-voice-hifi', 'text-to-audio', 'Mock Tone Voice (44.1 kHz)'),
  model('mock/tone-transcriber-1', 'audio-to-text', 'Mock Tone Transcriber'),
  model('mock/tone-transcriber-normalized', 'audio-to-text', 'Mock Tone Transcriber (normalized: lower case, no punctuation)'),
  model('mock/embed-64', 'text-to-embedding', 'Mock Embedding 64', { dimensions: 64 }),
  model('mock/embed-256', 'text-to-embedding', 'Mock Embedding 256', { dimensions: 256 }),
];
