import type { Capability, UsageV1 } from '@mediaconduit/provider';
import type { CallInputSize, CallOutputSize } from './call-record.js';

/** The size of a call's input, by capability. Never throws: odd input measures as empty. */
export function measureInput(capability: Capability, input: unknown): CallInputSize {
  if (capability === 'audio-to-text') {
    const data = (input as { data?: Uint8Array; bytes?: Uint8Array } | undefined)?.bytes ?? (input as { data?: Uint8Array } | undefined)?.data;
    return data instanceof Uint8Array ? { audioBytes: data.byteLength } : {};
  }
  if (typeof input === 'string') return { promptChars: input.length };
  if (Array.isArray(input)) {
    if (capability === 'text-to-embedding') return { texts: input.length, promptChars: input.reduce((n: number, t) => n + (typeof t === 'string' ? t.length : 0), 0) };
    return messagesSize(input);
  }
  if (typeof input === 'object' && input !== null) {
    if (Array.isArray((input as { messages?: unknown }).messages)) return messagesSize((input as { messages: unknown[] }).messages);
    const prompt = (input as { prompt?: unknown }).prompt;
    if (typeof prompt === 'string') return { promptChars: prompt.length };
  }
  return {};
}

function messagesSize(messages: unknown[]): CallInputSize {
  let chars = 0;
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (typeof content === 'string') chars += content.length;
  }
  return { messages: messages.length, promptChars: chars };
}

interface AssetLike {
  kind?: string;
  width?: number;
  height?: number;
  bytes?: Uint8Array;
  text?: string;
  durationSeconds?: number;
  values?: ArrayLike<number>;
  metadata?: { usage?: UsageV1; requestId?: string };
}

/**
 * What a call used: the usage its assets report, completed with what the result shows (image
 * count, audio seconds, characters spoken). One text asset allocates nothing.
 */
export function usageOf(capability: Capability, input: unknown, result: unknown): UsageV1 | undefined {
  const many = Array.isArray(result);
  const first = (many ? result[0] : result) as AssetLike | undefined;
  let reported = first?.metadata?.usage;
  if (many) for (let i = 1; i < result.length; i++) reported = addUsage(reported, (result[i] as AssetLike | undefined)?.metadata?.usage);
  if (capability !== 'text-to-image' && capability !== 'text-to-audio') return reported;
  const usage: UsageV1 = { ...reported };
  if (capability === 'text-to-image') usage.images = many ? result.length : 1;
  else {
    if (first?.durationSeconds !== undefined) usage.audioSeconds ??= first.durationSeconds;
    if (typeof input === 'string') usage.characters ??= input.length;
  }
  return usage;
}

/** The size of what a call returned (an asset or a list of them), and its request id. */
export function outputOf(capability: Capability, result: unknown): { output: CallOutputSize; requestId: string | undefined } {
  const many = Array.isArray(result);
  const first = (many ? result[0] : result) as AssetLike | undefined;
  const output: CallOutputSize = {};
  if (capability === 'text-to-text' || capability === 'audio-to-text') {
    if (typeof first?.text === 'string') output.textChars = first.text.length;
    const tokens = first?.metadata?.usage?.outputTokens;
    if (tokens !== undefined) output.tokens = tokens;
  } else if (capability === 'text-to-embedding') {
    output.vectors = many ? result.length : 1;
    if (first?.values) output.dimensions = first.values.length;
  } else if (capability === 'text-to-image') {
    output.images = many ? result.length : 1;
    if (first?.width !== undefined) output.width = first.width;
    if (first?.height !== undefined) output.height = first.height;
    let bytes = 0;
    for (const asset of (many ? result : [result]) as AssetLike[]) bytes += asset?.bytes?.byteLength ?? 0;
    output.bytes = bytes;
  } else {
    output.bytes = first?.bytes?.byteLength ?? 0;
    if (first?.durationSeconds !== undefined) output.audioSeconds = first.durationSeconds;
  }
  return { output, requestId: first?.metadata?.requestId || undefined };
}

/** Field-by-field sum of two usages (absent + absent stays absent). */
function addUsage(a: UsageV1 | undefined, b: UsageV1 | undefined): UsageV1 | undefined {
  if (!a) return b ? { ...b } : undefined;
  if (!b) return a;
  const out: UsageV1 = { ...a };
  for (const key of Object.keys(b) as (keyof UsageV1)[]) {
    const value = b[key];
    if (value !== undefined) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}
