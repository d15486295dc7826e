/** Encodes mono 16-bit PCM samples (-1..1) as a WAV file; `chunks` adds extra RIFF chunks (e.g. `LIST`) before the data. */
export function encodeWav(samples: Float32Array, sampleRate: number, chunks: readonly { id: string; data: Uint8Array }[] = []): Uint8Array {
  const extra = Buffer.concat(
    chunks.map(({ id, data }) => {
      const chunk = Buffer.alloc(8 + data.length + (data.length % 2));
      chunk.write(id, 0, 'latin1');
      chunk.writeUInt32LE(data.length, 4);
      chunk.set(data, 8);
      return chunk;
    }),
  );
  const out = Buffer.alloc(44 + extra.length + samples.length * 2);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + extra.length + samples.length * 2, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16); // fmt chunk size
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * 2, 28); // bytes per second
  out.writeUInt16LE(2, 32); // block align
  out.writeUInt16LE(16, 34); // bits per sample
  out.set(extra, 36);
  const data = 36 + extra.length;
  out.write('data', data, 'latin1');
  out.writeUInt32LE(samples.length * 2, data + 4);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), data + 8 + i * 2);
  return out;
}

/** Reads the first channel of a 16-bit PCM WAV file as -1..1 floats; `undefined` for other files. */
export function decodeWav16(bytes: Uint8Array): { samples: Float32Array; sampleRate: number } | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 12 || b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let offset = 12;
  let channels = 1,
    sampleRate = 0,
    bits = 0;
  while (offset + 8 <= b.length) {
    const id = b.toString('latin1', offset, offset + 4);
    const size = b.readUInt32LE(offset + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(offset + 10);
      sampleRate = b.readUInt32LE(offset + 12);
      bits = b.readUInt16LE(offset + 22);
    } else if (id === 'data') {
      if (bits !== 16 || sampleRate === 0) return undefined;
      const end = Math.min(b.length, offset + 8 + size);
      const frames = Math.floor((end - offset - 8) / (2 * channels));
      const samples = new Float32Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = b.readInt16LE(offset + 8 + i * 2 * channels) / 32768;
      return { samples, sampleRate };
    }
    offset += 8 + size + (size % 2);
  }
  return undefined;
}
