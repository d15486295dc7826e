import { MediaConduitError, Text, decodeWav16, type ModelInfoV1, type TranscriptionModelV1 } from '@mediaconduit/provider';
import { mockCall, type MockRuntime } from './call-context.js';
import { listen } from './tones.js';

/** Transcribes the mock's own tone speech back to text (16-bit PCM WAV input); the `normalized` model lower-cases and drops punctuation. */
export function createTranscriptionModel(info: ModelInfoV1, runtime: MockRuntime): TranscriptionModelV1 {
  return {
    specificationVersion: 'v1',
    capability: 'audio-to-text',
    id: info.id,
    info,
    transform: (input, options) =>
      mockCall(runtime, info.id, options?.signal, (meta) => {
        const bytes = 'bytes' in input ? input.bytes : input.data;
        const wav = decodeWav16(bytes);
        if (!wav)
          throw new MediaConduitError({
            code: 'INVALID_INPUT',
            message: `mock ${info.id}: input is not a 16-bit PCM WAV file (${bytes.byteLength} bytes); pass audio made by a mock speech model`,
          });
        const heard = listen(wav.samples, wav.sampleRate);
        const text =
          info.id === 'mock/tone-transcriber-normalized'
            ? heard
                .toLowerCase()
                .replace(/[^\p{L}\p{N}\s]/gu, '')
                .replace(/\s+/g, ' ')
                .trim()
            : heard;
        return new Text(text, meta({ audioSeconds: wav.samples.length / wav.sampleRate }));
      }),
  };
}
