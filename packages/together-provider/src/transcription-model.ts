import { MediaConduitError, Text, type ModelInfoV1, type TranscriptionModelV1 } from '@mediaconduit/provider';
import { provenance } from './provenance.js';
import { invalidResponse, type TogetherClient } from './together-client.js';

const EXTENSION: Readonly<Record<string, string>> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/webm': 'webm',
  'audio/flac': 'flac',
};

/** A Together transcription model (multipart `/audio/transcriptions`). */
export function createTranscriptionModel(info: ModelInfoV1, client: TogetherClient): TranscriptionModelV1 {
  const operation = `together transcription ${info.id}`;
  return {
    specificationVersion: 'v1',
    capability: 'audio-to-text',
    id: info.id,
    info,
    async transform(input, options) {
      const bytes = 'bytes' in input ? input.bytes : input.data;
      if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) throw new MediaConduitError({ code: 'INVALID_INPUT', message: `${operation}: the audio is empty` });
      const mimeType = input.mimeType.split(';')[0]!;
      const fileName = ('fileName' in input && input.fileName) || `audio.${EXTENSION[mimeType] ?? 'wav'}`;
      const form = new FormData();
      form.append('file', new Blob([bytes], { type: mimeType }), fileName);
      form.append('model', info.id);
      form.append('response_format', 'json');
      if (options?.language) form.append('language', options.language);
      if (options?.prompt) form.append('prompt', options.prompt);
      if (options?.temperature !== undefined) form.append('temperature', String(options.temperature));
      const started = performance.now();
      const { body, requestId } = await client.json<{ text?: string }>({
        method: 'POST',
        path: '/audio/transcriptions',
        form,
        signal: options?.signal,
        headers: options?.headers,
        operation,
      });
      if (typeof body.text !== 'string') throw invalidResponse(operation, 'it has no text');
      return new Text(body.text, provenance(info.id, started, { requestId }));
    },
  };
}
