import { seededRandom, hashString } from './random.js';

/**
 * A mock LoRA's weights as a real safetensors file: two small float32 tensors derived from the job,
 * and metadata naming the job. It holds no model (the mock paints a colour), but it is a file any
 * safetensors reader opens, that can be uploaded and passed around by URL like a real LoRA's.
 */
export const MOCK_WEIGHTS_TYPE = 'application/octet-stream';
/** The metadata key naming the job whose LoRA the file is. */
const JOB_KEY = 'mediaconduit.mock_lora';
/** Files larger than this are no mock LoRA: they are not parsed. */
const MAX_WEIGHTS_BYTES = 64 * 1024;
const RANK = 4;
const WIDTH = 8;

export function encodeMockWeights(job: { id: string; baseModel: string; triggerWord: string; style: string }): Uint8Array {
  const random = seededRandom(hashString(`${job.id}|${job.style}`));
  const tensor = (rows: number, columns: number) => Float32Array.from({ length: rows * columns }, () => Math.round((random() - 0.5) * 2 ** 12) / 2 ** 14);
  const tensors: [string, number[], Float32Array][] = [
    ['mock.lora_A.weight', [RANK, WIDTH], tensor(RANK, WIDTH)],
    ['mock.lora_B.weight', [WIDTH, RANK], tensor(WIDTH, RANK)],
  ];
  const header: Record<string, unknown> = {
    __metadata__: {
      format: 'pt',
      [JOB_KEY]: job.id,
      'mediaconduit.base_model': job.baseModel,
      'mediaconduit.trigger_word': job.triggerWord,
      'mediaconduit.note': 'a mock LoRA: it applies on the mock provider only',
    },
  };
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  // The header is padded with spaces to a multiple of 8 bytes, as safetensors writers do.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.byteLength + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.byteLength), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.byteLength;
  for (const [, , data] of tensors) {
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, at);
    at += data.byteLength;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** The weights as a `data:` URL: a mock LoRA is small, and the mock keeps no files. */
export function mockWeightsUrl(bytes: Uint8Array): string {
  return `data:${MOCK_WEIGHTS_TYPE};base64,${Buffer.from(bytes).toString('base64')}`;
}

/** The job a mock LoRA's weights (as a `data:` URL) name, or why they name none. */
export function jobOfWeightsUrl(url: string): { jobId: string } | { problem: string } {
  const match = /^data:([^,;]*)((?:;[^,;]*)*),(.*)$/s.exec(url);
  if (!match) return { problem: 'it is not a data: URL' };
  const base64 = match[2]!.split(';').includes('base64');
  if (match[3]!.length > MAX_WEIGHTS_BYTES * 2) return { problem: 'it is larger than any mock LoRA' };
  let bytes: Buffer;
  try {
    bytes = base64 ? Buffer.from(match[3]!, 'base64') : Buffer.from(decodeURIComponent(match[3]!), 'latin1');
  } catch {
    return { problem: 'its data cannot be decoded' };
  }
  if (bytes.byteLength < 8) return { problem: 'it is not a safetensors file' };
  const length = bytes.readBigUInt64LE(0);
  if (length > BigInt(bytes.byteLength - 8)) return { problem: 'it is not a safetensors file (its header runs past its end)' };
  let header: unknown;
  try {
    header = JSON.parse(bytes.subarray(8, 8 + Number(length)).toString('utf8'));
  } catch {
    return { problem: 'it is not a safetensors file (its header is not JSON)' };
  }
  const jobId = (header as { __metadata__?: Record<string, unknown> } | null)?.__metadata__?.[JOB_KEY];
  return typeof jobId === 'string' ? { jobId } : { problem: 'it holds weights, but not those of a mock LoRA' };
}
