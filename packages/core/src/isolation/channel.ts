// The channel between the host and a provider's process: one socket pair (the child's fd 3),
// framed. A frame carries a batch of messages as JSON, and the byte arrays inside them as raw
// bytes after the JSON: an image crosses without being serialised, and each side holds it once.
//
// Frame (little-endian): jsonLength u32, blobCount u32, flags u32, blobCount × blobLength u32,
// the JSON (UTF-8), then the blobs in order. In the JSON, a value that JSON cannot carry is an
// object whose only key is "\u0000": [kind, payload] (see `KIND`); flags bit 0 says whether any is there.
import type { Duplex } from 'node:stream';

/**
 * The largest frame either side accepts: its JSON, and its byte arrays in all (a provider cannot
 * make the host hold more than one frame's worth: about 2.5 GB at most, against the terabytes a
 * frame header could otherwise announce).
 */
export const MAX_JSON_CHARS = 1 << 29; // about V8's longest string
export const MAX_JSON_BYTES = 3 * MAX_JSON_CHARS;
export const MAX_BLOB_BYTES = 1 << 30;
const MAX_BLOBS = 1 << 16;
/** Longest big integer (in decimal digits) and regular expression a frame may carry. */
const MAX_BIGINT_DIGITS = 4096;
const MAX_REGEXP_CHARS = 65_536;

const HEADER_BYTES = 12;
const rethrow = (_message: unknown, error: Error): never => {
  throw error;
};
const MARK = '\u0000';
/** The values JSON cannot carry, as they cross. */
const KIND = { bytes: 'b', arrayBuffer: 'a', date: 'd', bigint: 'n', number: 'f', regexp: 'r', undefined: 'u', escaped: 'o' } as const;

/** A malformed frame: the other side is not speaking this protocol (or is hostile). */
export class ChannelError extends Error {}

/**
 * Sends and receives messages over `socket`. Messages sent during one turn of the event loop go out
 * as one frame: the first at once (after the current task), the rest at the turn's end, after its
 * I/O callbacks. Under load, the answers to dozens of calls share one system call and one wake-up
 * of the other process.
 */
export class Channel {
  private queue: unknown[] | undefined;
  /** Whether this turn's end-of-turn write is scheduled. */
  private inTurn = false;
  private readonly reader: FrameReader;

  /**
   * `onError`: the other side sent what is not this protocol (the socket is closed). `refused`: a
   * message of this side's that cannot cross (a cycle, a size over the limits); the rest still go.
   */
  constructor(
    private readonly socket: Duplex,
    onMessage: (message: unknown) => void,
    onError: (error: ChannelError) => void,
    private readonly refused: (message: unknown, error: Error) => void = rethrow,
  ) {
    this.reader = new FrameReader((batch) => {
      for (const message of batch) onMessage(message);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (error) {
        // A frame that does not parse, or a message this side could not take in: nothing that
        // follows on this socket can be trusted.
        socket.destroy();
        onError(error instanceof ChannelError ? error : new ChannelError(`a message this side could not handle (${String(error)})`));
      }
    });
  }

  send(message: unknown): void {
    if (this.queue) {
      this.queue.push(message);
      return;
    }
    this.queue = [message];
    if (this.inTurn) return;
    this.inTurn = true;
    queueMicrotask(this.flush);
    setImmediate(() => {
      this.inTurn = false;
      this.flush();
    });
  }

  /** Runs `then` once everything sent so far is handed to the socket (immediates run in order). */
  afterFlush(then: () => void): void {
    setImmediate(then);
  }

  private readonly flush = (): void => {
    const batch = this.queue;
    this.queue = undefined;
    if (!batch || this.socket.destroyed || !this.socket.writable) return;
    const parts = encodeFrame(batch, this.refused);
    this.socket.cork();
    for (const part of parts) this.socket.write(part);
    this.socket.uncork();
  };
}

/**
 * A batch of messages as the buffers of its frames (the blobs are not copied): one frame, or
 * several when the messages' byte arrays together pass what one frame may hold. A message that
 * cannot be written (a cycle, a size over the limits) is left out and handed to `refused`.
 */
export function encodeFrame(
  batch: unknown[],
  refused: (message: unknown, error: Error) => void = rethrow,
  limits: { jsonChars: number; blobBytes: number; blobs: number } = { jsonChars: MAX_JSON_CHARS, blobBytes: MAX_BLOB_BYTES, blobs: MAX_BLOBS },
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let state: PrepareState = { blobs: [], marked: false };
  let texts: string[] = [];
  let size = 2;
  let blobTotal = 0;
  const close = () => {
    parts.push(...frameParts(texts, state));
    state = { blobs: [], marked: false };
    texts = [];
    size = 2;
    blobTotal = 0;
  };
  for (const message of batch) {
    for (let attempt = 0; attempt < 2; attempt++) {
      const blobCount = state.blobs.length;
      const marked = state.marked;
      try {
        const text = JSON.stringify(prepare(message, state));
        const added = state.blobs.slice(blobCount);
        const blobBytes = added.reduce((sum, blob) => sum + blob.byteLength, 0);
        const fits = size + text.length <= limits.jsonChars && blobTotal + blobBytes <= limits.blobBytes && state.blobs.length <= limits.blobs;
        const fitsAlone = 2 + text.length <= limits.jsonChars && blobBytes <= limits.blobBytes && added.length <= limits.blobs;
        if (!fits && fitsAlone && texts.length > 0 && attempt === 0) {
          // Too much for the frame being filled: it goes as it is, and the message starts the next.
          state.blobs.length = blobCount;
          state.marked = marked;
          close();
          continue;
        }
        if (!fitsAlone)
          throw new RangeError(
            `a message of ${text.length + blobBytes} bytes is over the channel's limits (${limits.jsonChars} characters of JSON, ${limits.blobBytes} bytes of byte arrays, ${limits.blobs} byte arrays)`,
          );
        texts.push(text);
        size += text.length + 1;
        blobTotal += blobBytes;
      } catch (error) {
        state.blobs.length = blobCount;
        state.marked = marked;
        refused(message, error instanceof Error ? error : new Error(String(error)));
      }
      break;
    }
  }
  if (texts.length > 0 || parts.length === 0) close();
  return parts;
}

function frameParts(texts: readonly string[], { blobs, marked }: PrepareState): Uint8Array[] {
  const json = Buffer.from(`[${texts.join(',')}]`);
  const header = Buffer.allocUnsafe(HEADER_BYTES + 4 * blobs.length);
  header.writeUInt32LE(json.length, 0);
  header.writeUInt32LE(blobs.length, 4);
  header.writeUInt32LE(marked ? 1 : 0, 8);
  for (let i = 0; i < blobs.length; i++) header.writeUInt32LE(blobs[i]!.byteLength, HEADER_BYTES + 4 * i);
  return [header, json, ...blobs.filter((blob) => blob.byteLength > 0)];
}

interface PrepareState {
  blobs: Uint8Array[];
  marked: boolean;
}

function mark(state: PrepareState, kind: string, payload: unknown): Record<string, unknown> {
  state.marked = true;
  return { [MARK]: [kind, payload] };
}

/**
 * `value` as JSON can carry it: the values JSON lacks become marks (byte arrays move to the
 * blobs). What needs no mark is returned as it is, not copied: most messages are plain data.
 */
function prepare(value: unknown, state: PrepareState): unknown {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? value : mark(state, KIND.number, String(value));
    case 'bigint':
      return mark(state, KIND.bigint, value.toString());
    case 'object':
      break;
    default:
      return value;
  }
  if (value === null) return value;
  if (ArrayBuffer.isView(value)) {
    state.blobs.push(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    return mark(state, KIND.bytes, state.blobs.length - 1);
  }
  if (value instanceof ArrayBuffer) {
    state.blobs.push(new Uint8Array(value));
    return mark(state, KIND.arrayBuffer, state.blobs.length - 1);
  }
  if (value instanceof Date) return mark(state, KIND.date, value.getTime());
  if (value instanceof RegExp) return mark(state, KIND.regexp, [value.source, value.flags]);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      // (JSON writes an array's undefined as null.)
      const prepared = item === undefined ? mark(state, KIND.undefined, 0) : prepare(item, state);
      if (prepared !== item && !out) out = value.slice(0, i);
      if (out) out.push(prepared);
    }
    return out ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const object = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(object);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const item = object[key];
    const prepared = prepare(item, state);
    if (prepared !== item && !out) {
      out = {};
      for (let j = 0; j < i; j++) out[keys[j]!] = object[keys[j]!];
    }
    if (out) out[key] = prepared;
  }
  // Data that has the marker's key itself crosses as its entries, so it is not taken for a mark.
  if (Object.hasOwn(object, MARK)) return mark(state, KIND.escaped, Object.entries(out ?? object));
  return out ?? object;
}

/**
 * Reads frames from a byte stream. A blob is copied once, from the socket's chunks into a buffer of
 * its own size, as it arrives: no chunk list of a whole image is kept.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private frame: { jsonLength: number; blobLengths: number[]; marked: boolean; batch?: unknown[]; blobs: Buffer[]; filling?: { target: Buffer; filled: number } } | undefined;

  constructor(private readonly onBatch: (batch: unknown[]) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.step());
  }

  /** Takes what the current state needs; false when more bytes must come first. */
  private step(): boolean {
    if (!this.frame) {
      if (this.buffered < HEADER_BYTES) return false;
      const head = this.peek(HEADER_BYTES);
      const jsonLength = head.readUInt32LE(0);
      const blobCount = head.readUInt32LE(4);
      const flags = head.readUInt32LE(8);
      if (jsonLength > MAX_JSON_BYTES || blobCount > MAX_BLOBS || flags > 1) throw new ChannelError('a malformed frame (its header is out of bounds)');
      if (this.buffered < HEADER_BYTES + 4 * blobCount) return false;
      const header = this.take(HEADER_BYTES + 4 * blobCount);
      const blobLengths = Array.from({ length: blobCount }, (_, i) => header.readUInt32LE(HEADER_BYTES + 4 * i));
      const blobBytes = blobLengths.reduce((sum, length) => sum + length, 0);
      if (blobBytes > MAX_BLOB_BYTES) throw new ChannelError(`a malformed frame (byte arrays of ${blobBytes} bytes in all, over ${MAX_BLOB_BYTES})`);
      this.frame = { jsonLength, blobLengths, marked: flags === 1, blobs: [] };
      return true;
    }
    const frame = this.frame;
    if (!frame.batch) {
      if (this.buffered < frame.jsonLength) return false;
      let parsed: unknown;
      try {
        parsed = JSON.parse(this.take(frame.jsonLength).toString('utf8'));
      } catch {
        throw new ChannelError('a malformed frame (its JSON does not parse)');
      }
      if (!Array.isArray(parsed)) throw new ChannelError('a malformed frame (not a batch of messages)');
      frame.batch = parsed;
    }
    while (frame.blobs.length < frame.blobLengths.length) {
      const length = frame.blobLengths[frame.blobs.length]!;
      if (!frame.filling) {
        // A small blob, or one that has fully arrived, is taken as one piece.
        if (this.buffered >= length) {
          frame.blobs.push(this.takeCopy(length));
          continue;
        }
        // Filled as the chunks come.
        frame.filling = { target: Buffer.allocUnsafe(length), filled: 0 };
      }
      const filling = frame.filling;
      while (filling.filled < length && this.chunks.length > 0) {
        const chunk = this.chunks[0]!;
        const n = Math.min(chunk.length, length - filling.filled);
        chunk.copy(filling.target, filling.filled, 0, n);
        filling.filled += n;
        this.consume(n);
      }
      if (filling.filled < length) return false;
      frame.blobs.push(filling.target);
      frame.filling = undefined;
    }
    this.frame = undefined;
    const batch = frame.marked ? (revive(frame.batch, frame.blobs) as unknown[]) : frame.batch;
    this.onBatch(batch);
    return true;
  }

  /** The first `n` bytes, left in place. */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    return first.length >= n ? first.subarray(0, n) : Buffer.concat(this.chunks).subarray(0, n);
  }

  /** The first `n` bytes, removed (a view when they lie in one chunk). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first && first.length >= n) {
      const out = first.subarray(0, n);
      this.consume(n);
      return out;
    }
    return this.takeCopy(n);
  }

  /** The first `n` bytes, removed, in a buffer of their own (copied once). */
  private takeCopy(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const count = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, count);
      filled += count;
      this.consume(count);
    }
    return out;
  }

  private consume(n: number): void {
    this.buffered -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}

/** The values a frame's JSON marks, restored: byte arrays become views of their blobs. */
function revive(value: unknown, blobs: Buffer[]): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], blobs);
    return value;
  }
  const object = value as Record<string, unknown>;
  const marked = object[MARK];
  if (Array.isArray(marked) && Object.keys(object).length === 1) {
    const [kind, payload] = marked as [string, unknown];
    const blob = (index: unknown) => {
      const found = typeof index === 'number' ? blobs[index] : undefined;
      if (!found) throw new ChannelError('a malformed frame (a byte array it does not carry)');
      return found;
    };
    switch (kind) {
      case KIND.bytes: {
        const bytes = blob(payload);
        return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      }
      case KIND.arrayBuffer: {
        const bytes = blob(payload);
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      }
      case KIND.date:
        return new Date(Number(payload));
      case KIND.bigint: {
        // Parsing a decimal integer takes time that grows faster than its length: a few thousand digits at most.
        const digits = String(payload);
        if (digits.length > MAX_BIGINT_DIGITS) throw new ChannelError(`a malformed frame (an integer of more than ${MAX_BIGINT_DIGITS} digits)`);
        return BigInt(digits);
      }
      case KIND.number:
        return Number(payload);
      case KIND.regexp: {
        const [source, flags] = payload as [string, string];
        if (String(source).length > MAX_REGEXP_CHARS) throw new ChannelError(`a malformed frame (a regular expression of more than ${MAX_REGEXP_CHARS} characters)`);
        return new RegExp(source, flags);
      }
      case KIND.undefined:
        return undefined;
      case KIND.escaped:
        return Object.fromEntries((payload as [string, unknown][]).map(([key, item]) => [key, revive(item, blobs)]));
    }
  }
  for (const key of Object.keys(object)) object[key] = revive(object[key], blobs);
  return object;
}
