import { Audio, MediaConduitError, encodeWav, type ModelInfoV1, type SpeechModelV1 } from '@mediaconduit/provider';
import { mockCall, type MockRuntime } from './call-context.js';
import { MIN_SAMPLE_RATE, speak } from './tones.js';

const VOICES = [{ id: 'tone', name: 'Tone' }] as const;

/** A speech model writing 16-bit PCM WAV whose duration follows the text (60 ms per character). */
export function createSpeechModel(info: ModelInfoV1, runtime: MockRuntime): SpeechModelV1 {
  const defaultRate = info.id === 'mock/tone-voice-hifi' ? 44_100 : 16_000;
  return {
    specificationVersion: 'v1',
    capability: 'text-to-audio',
    id: info.id,
    info,
    transform: (input, options) =>
      mockCall(runtime, info.id, options?.signal, (meta) => {
        if (typeof input !== 'string' || input.length === 0) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock ${info.id}: input must be non-empty text` });
        if (options?.format && options.format !== 'wav')
          throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock ${info.id}: format "${options.format}" is not supported; the mock only writes WAV` });
        if (options?.voice && !VOICES.some((v) => v.id === options.voice))
          throw new MediaConduitError({ code: 'INVALID_INPUT', message: `mock ${info.id}: unknown voice "${options.voice}"; voices: ${VOICES.map((v) => v.id).join(', ')}` });
        const sampleRate = options?.sampleRate ?? defaultRate;
        if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > 192_000) {
          throw new MediaConduitError({
            code: 'INVALID_INPUT',
            message: `mock ${info.id}: sampleRate must be a whole number from ${MIN_SAMPLE_RATE} to 192000, got ${sampleRate}`,
          });
        }
        const samples = speak(input, sampleRate);
        return new Audio(encodeWav(samples, sampleRate), 'audio/wav', meta({ characters: input.length, audioSeconds: samples.length / sampleRate }));
      }),
    listVoices: async () => VOICES.map((v) => ({ ...v })),
  };
}
