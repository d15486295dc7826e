/** The small part of an `/images/generations` answer, with each `b64_json` replaced by `@image:<n>`. */
export interface ImageResponseSkeleton {
  id?: string;
  data?: { index?: number; url?: string; b64_json?: string }[];
}

const KEY = '"b64_json"';

/**
 * Reads an `/images/generations` answer without ever holding its base64 text: every `b64_json`
 * value is decoded chunk by chunk as it streams in, and only the small rest of the JSON is parsed.
 * Peak memory stays near the size of the images themselves.
 */
export async function readImageResponse(body: AsyncIterable<Uint8Array | string>): Promise<{ json: ImageResponseSkeleton; images: Uint8Array[] }> {
  const images: Uint8Array[] = [];
  let skeleton = '';
  let tail = ''; // JSON text that may be the start of KEY
  let base64 = ''; // payload characters not yet a multiple of 4
  let parts: Buffer[] = [];
  let state: 'json' | 'after-key' | 'payload' = 'json';
  let sawColon = false;

  const feed = (text: string) => {
    let input = state === 'json' ? tail + text : text;
    tail = '';
    while (input.length > 0) {
      if (state === 'json') {
        const at = input.indexOf(KEY);
        if (at === -1) {
          const keep = Math.min(KEY.length - 1, input.length);
          skeleton += input.slice(0, input.length - keep);
          tail = input.slice(input.length - keep);
          return;
        }
        skeleton += input.slice(0, at + KEY.length);
        input = input.slice(at + KEY.length);
        state = 'after-key';
      } else if (state === 'after-key') {
        // `"b64_json"` is the key only when a colon follows; it also appears as a value ("type").
        const match = /^\s*(:?)\s*/.exec(input)!;
        skeleton += match[0];
        input = input.slice(match[0].length);
        sawColon ||= match[1] === ':';
        if (input.length === 0) return;
        if (sawColon && input[0] === '"') {
          input = input.slice(1);
          state = 'payload';
        } else {
          state = 'json';
        }
        sawColon = false;
      } else {
        const end = input.indexOf('"');
        // JSON may escape "/" as "\/": dropping backslashes leaves plain base64.
        const all = base64 + (end === -1 ? input : input.slice(0, end)).replace(/\\/g, '');
        const usable = all.length - (all.length % 4);
        if (usable > 0) parts.push(Buffer.from(all.slice(0, usable), 'base64'));
        base64 = all.slice(usable);
        if (end === -1) return;
        if (base64) parts.push(Buffer.from(base64, 'base64'));
        images.push(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
        skeleton += `"@image:${images.length - 1}"`;
        parts = [];
        base64 = '';
        input = input.slice(end + 1);
        state = 'json';
      }
    }
  };
  const decoder = new TextDecoder();
  for await (const chunk of body) feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
  feed(decoder.decode());
  skeleton += tail;
  return { json: JSON.parse(skeleton) as ImageResponseSkeleton, images };
}
