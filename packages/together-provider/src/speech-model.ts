import { Audio, MediaConduitError, type CallOptionsV1, type ModelInfoV1, type SpeechModelV1 } from '@mediaconduit/provider';
import { provenance } from './provenance.js';
import type { TogetherClient } from './together-client.js';

interface VoicesResponse {
  data?: { model?: string; voices?: { id?: string; name?: string }[] }[];
}

const MIME: Readonly<Record<string, string>> = { wav: 'audio/wav', mp3: 'audio/mpeg', raw: 'audio/L16' };

/** A Together text-to-speech model; voices come from `GET /voices`. */
export function createSpeechModel(info: ModelInfoV1, client: TogetherClient): SpeechModelV1 {
  const operation = `together speech ${info.id}`;
  let voices: Promise<{ id: string; name?: string }[]> | undefined;
  const listVoices = (options?: CallOptionsV1) => {
    voices ??= client
      .json<VoicesResponse>({ method: 'GET', path: '/voices', query: { model: info.id }, signal: options?.signal, operation: `${operation}: list voices` })
      .then(({ body }) =>
        (body.data ?? [])
          .filter((entry) => !entry.model || entry.model === info.id)
          .flatMap((entry) => entry.voices ?? [])
          .filter((v): v is { id: string; name?: string } => typeof v.id === 'string')
          .map((v) => (v.name ? { id: v.id, name: v.name } : { id: v.id })),
      )
      .catch((error: unknown) => {
        voices = undefined;
        throw error;
      });
    return voices;
  };
  return {
    specificationVersion: 'v1',
    capability: 'text-to-audio',
    id: info.id,
    info,
    listVoices: (options) => listVoices(options),
    async transform(input, options) {
      if (typeof input !== 'string' || input === '') throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: the input text is empty` });
      const started = performance.now();
      const voice = options?.voice ?? (await listVoices(options))[0]?.id;
      if (!voice) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: no voice given and the model lists none; pass { voice }` });
      const format = options?.format ?? 'wav';
      const json: Record<string, unknown> = { model: info.id, input, voice, response_format: format };
      if (options?.sampleRate !== undefined) json.sample_rate = options.sampleRate;
      if (options?.language !== undefined) json.language = options.language;
      if (format === 'raw') json.response_encoding = 'pcm_s16le';
      const { bytes, contentType, requestId } = await client.bytes({
        method: 'POST',
        path: '/audio/speech',
        json,
        signal: options?.signal,
        headers: { accept: 'application/octet-stream', ...options?.headers },
        operation,
      });
      const mimeType = contentType.startsWith('audio/') ? contentType.split(';')[0]! : (MIME[format] ?? contentType);
      const facts = format === 'raw' && options?.sampleRate ? { sampleRate: options.sampleRate, channels: 1, durationSeconds: bytes.byteLength / 2 / options.sampleRate } : {};
      return new Audio(bytes, mimeType, provenance(info.id, started, { requestId, usage: { characters: input.length } }), facts);
    },
  };
}
