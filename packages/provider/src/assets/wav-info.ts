/** What the header of a PCM WAV file says. */
export interface WavInfo {
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  /** Byte offset of the sample data. */
  dataOffset: number;
  /** Byte length of the sample data. */
  dataLength: number;
  durationSeconds: number;
}

/** Parses a RIFF/WAVE header; `undefined` when the bytes are not a WAV file with `fmt ` and `data` chunks. */
export function readWavInfo(bytes: Uint8Array): WavInfo | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let format: { channels: number; sampleRate: number; bitsPerSample: number } | undefined;
  while (offset + 8 <= b.length) {
    const id = b.toString('latin1', offset, offset + 4);
    const size = b.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 16 <= b.length) {
      format = { channels: b.readUInt16LE(body + 2), sampleRate: b.readUInt32LE(body + 4), bitsPerSample: b.readUInt16LE(body + 14) };
    } else if (id === 'data' && format) {
      // Streaming encoders may write 0 or 0xFFFFFFFF; then the data runs to the end of the file.
      const dataLength = size === 0 || size === 0xffffffff || body + size > b.length ? b.length - body : size;
      const bytesPerSecond = format.sampleRate * format.channels * (format.bitsPerSample / 8);
      return { ...format, dataOffset: body, dataLength, durationSeconds: bytesPerSecond > 0 ? dataLength / bytesPerSecond : 0 };
    }
    offset = body + size + (size % 2);
  }
  return undefined;
}
