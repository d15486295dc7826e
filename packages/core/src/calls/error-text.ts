import type { Capability } from '@mediaconduit/provider';

/** Longest error message the runtime hands back or keeps: a service's 4 MB error text is cut to this. */
export const MAX_ERROR_MESSAGE = 2048;
/** Longest `errorMessage` in a call record. */
export const MAX_RECORDED_MESSAGE = 1024;

/** `text` cut to `max` characters, saying how much was cut. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = ` … (${text.length - max} more characters cut)`;
  return text.slice(0, Math.max(0, max - note.length)) + note;
}

/**
 * An error message as a call record keeps it: without the call's input (a service or proxy may
 * quote the prompt back, as a FastAPI-style 422 does in its `input` field), and bounded. Each text
 * of the input is removed as it is, as JSON would escape it, and by its first 40 characters (what
 * a service that shortens a quote still shows).
 */
export function recordedMessage(message: string, capability: Capability, input: unknown): string {
  let out = message;
  for (const text of inputTexts(capability, input)) {
    if (text.length < 8) continue;
    const forms = new Set([text, JSON.stringify(text).slice(1, -1)]);
    if (text.length > 40) forms.add(text.slice(0, 40)).add(JSON.stringify(text.slice(0, 40)).slice(1, -1));
    for (const form of [...forms].sort((a, b) => b.length - a.length)) if (out.includes(form)) out = out.split(form).join('[input]');
  }
  return bounded(out, MAX_RECORDED_MESSAGE);
}

/** The texts a call was given: a prompt, each message's content, each text to embed. */
function inputTexts(capability: Capability, input: unknown): string[] {
  if (capability === 'audio-to-text') return [];
  if (typeof input === 'string') return [input];
  const messages = Array.isArray(input) ? input : (input as { messages?: unknown } | null)?.messages;
  if (Array.isArray(messages))
    return messages.map((m) => (typeof m === 'string' ? m : (m as { content?: unknown } | null)?.content)).filter((t): t is string => typeof t === 'string');
  const prompt = (input as { prompt?: unknown; negativePrompt?: unknown } | null)?.prompt;
  const negative = (input as { negativePrompt?: unknown } | null)?.negativePrompt;
  return [prompt, negative].filter((t): t is string => typeof t === 'string');
}
