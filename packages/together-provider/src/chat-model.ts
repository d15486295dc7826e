import { MediaConduitError, Text, type ModelInfoV1, type TextInputV1, type TextModelV1, type TextOptionsV1, type TextStreamPartV1, type UsageV1 } from '@mediaconduit/provider';
import { parseSse } from './parse-sse.js';
import { provenance } from './provenance.js';
import { invalidResponse, type TogetherClient } from './together-client.js';

interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}
interface ChatResponse {
  id?: string;
  choices?: { finish_reason?: string; message?: { content?: string | null } }[];
  usage?: ChatUsage | null;
}
interface ChatChunk {
  id?: string;
  choices?: { finish_reason?: string | null; text?: string; delta?: { content?: string | null } }[];
  usage?: ChatUsage | null;
  error?: { message?: string; type?: string; code?: string | null };
}

function toUsage(usage: ChatUsage | null | undefined): UsageV1 | undefined {
  if (!usage) return undefined;
  const out: UsageV1 = {};
  if (usage.prompt_tokens !== undefined) out.inputTokens = usage.prompt_tokens;
  if (usage.completion_tokens !== undefined) out.outputTokens = usage.completion_tokens;
  if (usage.total_tokens !== undefined) out.totalTokens = usage.total_tokens;
  return out;
}

/** Together says `eos` for a natural end; the spec's word is `stop`. */
const finishReason = (reason: string | null | undefined) => (reason === 'eos' ? 'stop' : (reason ?? 'stop'));

/** The `/chat/completions` request body for an input and options. */
export function chatRequest(model: string, input: TextInputV1, options: TextOptionsV1 | undefined, stream: boolean): Record<string, unknown> {
  const messages = typeof input === 'string' ? [{ role: 'user', content: input }] : Array.isArray(input) ? input : (input as { messages: unknown[] }).messages;
  if (!Array.isArray(messages) || messages.length === 0)
    throw new MediaConduitError({ code: 'INVALID_INPUT', message: `together ${model}: give a prompt or at least one message` });
  const body: Record<string, unknown> = { model, messages, stream };
  if (options?.temperature !== undefined) body.temperature = options.temperature;
  if (options?.topP !== undefined) body.top_p = options.topP;
  if (options?.maxTokens !== undefined) body.max_tokens = options.maxTokens;
  if (options?.stop !== undefined) body.stop = typeof options.stop === 'string' ? [options.stop] : options.stop;
  if (options?.seed !== undefined) body.seed = options.seed;
  const format = options?.responseFormat;
  if (format?.type === 'json_schema') body.response_format = { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema } };
  else if (format) body.response_format = { type: format.type };
  return body;
}

/** A Together chat, language or code model (`text-to-text`). */
export function createChatModel(info: ModelInfoV1, client: TogetherClient): TextModelV1 {
  const operation = `together chat ${info.id}`;
  return {
    specificationVersion: 'v1',
    capability: 'text-to-text',
    id: info.id,
    info,
    async transform(input, options) {
      const started = performance.now();
      const { body, requestId } = await client.json<ChatResponse>({
        method: 'POST',
        path: '/chat/completions',
        json: chatRequest(info.id, input, options, false),
        signal: options?.signal,
        headers: options?.headers,
        operation,
      });
      const choice = body.choices?.[0];
      if (!choice) throw invalidResponse(operation, 'it has no choices');
      return new Text(
        choice.message?.content ?? '',
        provenance(info.id, started, { usage: toUsage(body.usage), requestId: requestId ?? body.id, seed: options?.seed, finishReason: finishReason(choice.finish_reason) }),
      );
    },
    async *stream(input, options): AsyncIterable<TextStreamPartV1> {
      const request = {
        method: 'POST' as const,
        path: '/chat/completions',
        json: chatRequest(info.id, input, options, true),
        signal: options?.signal,
        headers: { accept: 'text/event-stream', ...options?.headers },
        operation,
      };
      const response = await client.send(request);
      let usage: UsageV1 | undefined;
      let reason: string | undefined;
      let done = false;
      try {
        for await (const data of parseSse(response.body)) {
          if (data === '[DONE]') {
            done = true;
            break;
          }
          let chunk: ChatChunk;
          try {
            chunk = JSON.parse(data) as ChatChunk;
          } catch {
            // Skipping it would end the stream with a shorter answer, as if it were whole.
            throw Object.assign(invalidResponse(operation, `a stream event is not JSON (${data.length} characters, starting ${JSON.stringify(data.slice(0, 40))})`), {
              details: { afterFirstByte: true },
            });
          }
          if (chunk.error) {
            throw new MediaConduitError({
              code: 'PROVIDER_ERROR',
              message: `${operation}: the stream failed: ${chunk.error.message ?? 'unknown error'}`,
              providerCode: chunk.error.code ?? chunk.error.type ?? undefined,
              retryable: true,
              details: { afterFirstByte: true },
            });
          }
          const choice = chunk.choices?.[0];
          const text = choice?.delta?.content ?? choice?.text;
          if (text) yield { type: 'text-delta', text };
          if (choice?.finish_reason) reason = finishReason(choice.finish_reason);
          if (chunk.usage) usage = toUsage(chunk.usage);
        }
      } catch (error) {
        if (MediaConduitError.isInstance(error)) throw error;
        throw client.bodyError(request, error);
      } finally {
        if (!done) response.body.destroy();
      }
      if (!done) {
        if (options?.signal?.aborted) throw client.bodyError(request, new Error('aborted'));
        throw new MediaConduitError({
          code: 'CONNECTION_FAILED',
          message: `${operation}: the stream ended before [DONE]; the answer is incomplete`,
          retryable: true,
          details: { afterFirstByte: true },
        });
      }
      yield { type: 'finish', finishReason: reason ?? 'stop', ...(usage ? { usage } : {}) };
    },
  };
}
