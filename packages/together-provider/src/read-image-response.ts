/** The small part of an `/images/generations` answer, with each `b64_json` replaced by `@image:<n>`. */
export interface ImageResponseSkeleton {
  id?: string;
  data?: { index?: number; url?: string; b64_json?: string }[];
}

const KEY = Buffer.from('"b64_json"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
/** JSON's whitespace: space, tab, line feed, carriage return. */
const isSpace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** The largest buffer decoded into in place; a larger image is decoded in parts, joined at its end. */
const MAX_IN_PLACE = 1 << 30;

/**
 * Reads an `/images/generations` answer without ever holding its base64 text: every `b64_json`
 * value is decoded chunk by chunk, from the bytes as they stream in, and only the small rest of
 * the JSON is parsed. When the answer's length is known (`bodyBytes`), each image is decoded in
 * place into one buffer: pages it never reaches are never touched, so an image costs its own size,
 * not that and a copy of its parts. Each chunk of base64 becomes one string on its way to bytes.
 */
export async function readImageResponse(body: AsyncIterable<Uint8Array | string>, bodyBytes?: number): Promise<{ json: ImageResponseSkeleton; images: Uint8Array[] }> {
  const images: Uint8Array[] = [];
  /** The JSON outside the payloads, as bytes (a multi-byte character is never split: only ASCII is cut at). */
  const skeleton: Buffer[] = [];
  /** JSON bytes that may be the start of KEY (held until the next chunk says). */
  let tail: Buffer = Buffer.alloc(0);
  let state: 'json' | 'after-key' | 'payload' = 'json';
  let sawColon = false;
  /** Bytes of the body before the chunk being read. */
  let before = 0;
  /** Payload characters not yet a multiple of 4 (at most 3). */
  let pending = '';
  /** The image being decoded in place (see above), and how much of it is written. */
  let target: Buffer | undefined;
  let written = 0;
  /** Decoded pieces of the image being read, when it is not decoded in place (or outgrew its buffer). */
  let parts: Buffer[] = [];

  const decode = (base64: string) => {
    if (base64.length === 0) return;
    if (target && parts.length === 0 && written + Math.ceil(base64.length / 4) * 3 <= target.byteLength) written += target.write(base64, written, 'base64');
    // Past its buffer (a length that lied), the image goes on in parts, after what the buffer holds.
    else parts.push(Buffer.from(base64, 'base64'));
  };
  /** Decodes `bytes` of payload: whole quartets now, the rest with the next piece. */
  const payload = (bytes: Buffer) => {
    // JSON may escape "/" as "\/": dropping backslashes leaves plain base64 (rare: copied only then).
    const kept = bytes.includes(BACKSLASH) ? bytes.filter((byte) => byte !== BACKSLASH) : bytes;
    const plain = Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength);
    let at = 0;
    if (pending.length > 0) {
      const take = Math.min(4 - pending.length, plain.length);
      pending += plain.toString('latin1', 0, take);
      at = take;
      if (pending.length < 4) return;
      decode(pending);
      pending = '';
    }
    const usable = at + Math.floor((plain.length - at) / 4) * 4;
    if (usable > at) decode(plain.toString('latin1', at, usable));
    pending = plain.toString('latin1', usable);
  };
  const finish = (): Uint8Array => {
    decode(pending);
    pending = '';
    const own = target ? target.subarray(0, written) : undefined;
    target = undefined;
    written = 0;
    const all = own ? [own, ...parts] : parts;
    parts = [];
    if (all.length === 0) return new Uint8Array(0);
    if (all.length === 1) {
      const only = all[0]!;
      // A buffer much larger than its image (the first of several in one answer) is copied to size.
      return only.buffer.byteLength - only.byteLength > 1 << 16 ? Buffer.from(only) : only;
    }
    return Buffer.concat(all);
  };

  const feed = (chunk: Buffer) => {
    let input = state === 'json' && tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
    tail = Buffer.alloc(0);
    while (input.length > 0) {
      if (state === 'json') {
        const at = input.indexOf(KEY);
        if (at === -1) {
          const keep = Math.min(KEY.length - 1, input.length);
          skeleton.push(input.subarray(0, input.length - keep));
          tail = Buffer.from(input.subarray(input.length - keep));
          return;
        }
        skeleton.push(input.subarray(0, at + KEY.length));
        input = input.subarray(at + KEY.length);
        state = 'after-key';
      } else if (state === 'after-key') {
        // `"b64_json"` is the key only when a colon follows; it also appears as a value ("type").
        let i = 0;
        while (i < input.length && (isSpace(input[i]!) || (!sawColon && input[i] === COLON))) {
          if (input[i] === COLON) sawColon = true;
          i++;
        }
        skeleton.push(input.subarray(0, i));
        input = input.subarray(i);
        if (input.length === 0) return;
        if (sawColon && input[0] === QUOTE) {
          input = input.subarray(1);
          state = 'payload';
          target = bodyBytes !== undefined && bodyBytes > before ? allocate(Math.ceil(((bodyBytes - before) * 3) / 4)) : undefined;
        } else {
          state = 'json';
        }
        sawColon = false;
      } else {
        const end = input.indexOf(QUOTE);
        payload(end === -1 ? input : input.subarray(0, end));
        if (end === -1) return;
        images.push(finish());
        skeleton.push(Buffer.from(`"@image:${images.length - 1}"`));
        input = input.subarray(end + 1);
        state = 'json';
      }
    }
  };
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    feed(bytes);
    before += bytes.byteLength;
  }
  skeleton.push(tail);
  return { json: JSON.parse(Buffer.concat(skeleton).toString('utf8')) as ImageResponseSkeleton, images };
}

/** A buffer of `bytes`, or none when that is more than is sensible to ask for (a content-length that lies). */
function allocate(bytes: number): Buffer | undefined {
  if (bytes > MAX_IN_PLACE) return undefined;
  try {
    return Buffer.allocUnsafeSlow(bytes);
  } catch {
    return undefined;
  }
}
