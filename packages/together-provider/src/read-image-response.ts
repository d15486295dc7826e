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
export async function readImageResponse(body: AsyncIterable<Uint8Array | string>, bodyBytes?: number): Promise<{ json: ImageResponseSkeleton; images: Uint8Array[] }> {
  const images: Uint8Array[] = [];
  let skeleton = '';
  let tail = ''; // JSON text that may be the start of KEY
  let base64 = ''; // payload characters not yet a multiple of 4
  let parts: Buffer[] = [];
  let state: 'json' | 'after-key' | 'payload' = 'json';
  let sawColon = false;
  /** Bytes of the body before the chunk being read. */
  let before = 0;
  /**
   * The image being decoded, when the body's length bounds it: one buffer of at most three
   * quarters of the body's remaining bytes, decoded into in place. Pages it never reaches are
   * never touched, so the image costs its own size, not that plus a copy of its parts.
   */
  let target: Buffer | undefined;
  let written = 0;
  const decodeInto = (text: string) => {
    if (target && written + (text.length / 4) * 3 <= target.byteLength) written += target.write(text, written, 'base64');
    else parts.push(Buffer.from(text, 'base64'));
  };
  const finish = (): Uint8Array => {
    const own = target ? target.subarray(0, written) : undefined;
    target = undefined;
    written = 0;
    const all = own ? [own, ...parts] : parts;
    parts = [];
    if (all.length === 1) {
      const only = all[0]!;
      // A buffer much larger than its image (the first of several in one answer) is copied to size.
      return only.buffer.byteLength - only.byteLength > 1 << 16 ? Buffer.from(only) : only;
    }
    return Buffer.concat(all);
  };

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
          target = bodyBytes !== undefined && bodyBytes > before ? allocate(Math.ceil(((bodyBytes - before) * 3) / 4)) : undefined;
        } else {
          state = 'json';
        }
        sawColon = false;
      } else {
        const end = input.indexOf('"');
        // JSON may escape "/" as "\/": dropping backslashes leaves plain base64.
        const all = base64 + (end === -1 ? input : input.slice(0, end)).replace(/\\/g, '');
        const usable = all.length - (all.length % 4);
        if (usable > 0) decodeInto(all.slice(0, usable));
        base64 = all.slice(usable);
        if (end === -1) return;
        if (base64) decodeInto(base64);
        images.push(finish());
        skeleton += `"@image:${images.length - 1}"`;
        base64 = '';
        input = input.slice(end + 1);
        state = 'json';
      }
    }
  };
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    before += typeof chunk === 'string' ? chunk.length : chunk.byteLength;
  }
  feed(decoder.decode());
  skeleton += tail;
  return { json: JSON.parse(skeleton) as ImageResponseSkeleton, images };
}

/** The largest buffer decoded into in place; a larger image is decoded in parts, joined at its end. */
const MAX_IN_PLACE = 1 << 30;

/** A buffer of `bytes`, or none when that is more than is sensible to ask for (a content-length that lies). */
function allocate(bytes: number): Buffer | undefined {
  if (bytes > MAX_IN_PLACE) return undefined;
  try {
    return Buffer.allocUnsafeSlow(bytes);
  } catch {
    return undefined;
  }
}
