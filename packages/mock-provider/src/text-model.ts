import { MediaConduitError, Text, type ModelInfoV1, type TextInputV1, type TextModelV1, type TextOptionsV1, type TextStreamPartV1 } from '@mediaconduit/provider';
import { mockCall, type MockRuntime } from './call-context.js';
import { hashString, seededRandom } from './random.js';

const OPENINGS = ['quiet', 'silver', 'distant', 'gentle', 'morning', 'evening', 'autumn', 'winter'];
const SCENES = ['rain on old stone', 'light through the pines', 'wind across the lake', 'snow on sleeping fields', 'mist above the river'];
const ENDINGS = ['a single leaf falls', 'the kettle whispers', 'one bird answers', 'the lantern flickers', 'the bell fades out'];

/** The prompt a text input asks about: the last user message, or the plain string. */
export function promptOf(input: TextInputV1): string {
  if (typeof input === 'string') return input;
  const messages = Array.isArray(input) ? input : (input as { messages: TextInputV1 & unknown[] }).messages;
  const last = [...(messages as { role: string; content: string }[])].reverse().find((m) => m.role === 'user');
  if (!last) throw new MediaConduitError({ code: 'INVALID_INPUT', message: 'mock text: the conversation has no user message; add { role: "user", content: "…" }' });
  return last.content;
}

function compose(modelId: string, prompt: string, seed: number): string {
  if (modelId === 'mock/echo-1') return prompt;
  const random = seededRandom(hashString(prompt, seed));
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const topic =
    prompt
      .trim()
      .split(/\s+/)
      .filter((w) => w.length > 2)
      .slice(-1)[0]
      ?.toLowerCase() ?? 'silence';
  return `${pick(OPENINGS)} ${topic} waits\n${pick(SCENES)}\n${pick(ENDINGS)}`;
}

function limit(text: string, options: TextOptionsV1 | undefined): { text: string; finishReason: string } {
  const words = text.split(/(?<=\s)/);
  const stops = options?.stop === undefined ? [] : typeof options.stop === 'string' ? [options.stop] : options.stop;
  let out = '';
  for (const [i, word] of words.entries()) {
    if (options?.maxTokens !== undefined && i >= options.maxTokens) return { text: out, finishReason: 'length' };
    const candidate = out + word;
    const stop = stops.find((s) => candidate.includes(s));
    if (stop) return { text: candidate.slice(0, candidate.indexOf(stop)), finishReason: 'stop' };
    out = candidate;
  }
  return { text: out, finishReason: 'stop' };
}

/** A deterministic text model: `mock/haiku-1` writes a haiku about the prompt, `mock/echo-1` repeats it. */
export function createTextModel(info: ModelInfoV1, runtime: MockRuntime): TextModelV1 {
  const generate = (input: TextInputV1, options?: TextOptionsV1) => {
    const prompt = promptOf(input);
    const { text, finishReason } = limit(compose(info.id, prompt, options?.seed ?? runtime.seed), options);
    const inputTokens = prompt.split(/\s+/).filter(Boolean).length;
    const outputTokens = text.split(/\s+/).filter(Boolean).length;
    return { text, finishReason, usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens } };
  };
  return {
    specificationVersion: 'v1',
    capability: 'text-to-text',
    id: info.id,
    info,
    transform: (input, options) =>
      mockCall(runtime, info.id, options?.signal, (meta) => {
        const { text, finishReason, usage } = generate(input, options);
        return new Text(text, meta(usage, { finishReason, seed: options?.seed ?? runtime.seed }));
      }),
    async *stream(input, options): AsyncIterable<TextStreamPartV1> {
      await mockCall(runtime, info.id, options?.signal, () => undefined);
      const { text, finishReason, usage } = generate(input, options);
      // Token by token: one word (with its trailing space) per part.
      for (const token of text.split(/(?<=\s)/)) {
        if (options?.signal?.aborted) throw new MediaConduitError({ code: 'ABORTED', message: `mock ${info.id}: the stream was aborted`, cause: options.signal.reason });
        await new Promise((resolve) => setImmediate(resolve));
        yield { type: 'text-delta', text: token };
      }
      yield { type: 'finish', finishReason, usage };
    },
  };
}
