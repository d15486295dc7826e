import { fileURLToPath } from 'node:url';
import type { FileStorageV1, TrainingArtifactV1, TrainingJobInfoV1 } from '@mediaconduit/provider';
import type { Adapter } from '../calls/with-adapters.js';
import { mcError } from '../util/errors.js';

/** Options of {@link publishAdapter}. */
export interface PublishAdapterOptions {
  /**
   * Where weights that are not at an http(s) URL yet (inline as a `data:` URL, or a file on this
   * machine) are uploaded: a provider's public `storage` (fal's), or the provider itself.
   */
  storage?: FileStorageV1 | { readonly id?: string; readonly storage?: FileStorageV1 };
  /** The adapter's scale. Default 1. */
  scale?: number;
  signal?: AbortSignal;
}

/**
 * What a LoRA is given as: a completed job, its `weights` artifact, or the weights' URL or path.
 * A job's or artifact's weights are read from http(s) or `data:` URLs only, never from this
 * machine's disk; a path is read only when it is given as a string.
 */
export type AdapterSource = TrainingJobInfoV1 | TrainingArtifactV1 | string;

/**
 * A trained LoRA as an adapter that any service taking LoRAs by URL can apply (Together's
 * `image_loras`, fal's `loras`): `{ path: <http(s) URL of the weights>, scale }`.
 *
 * Weights already at an http(s) URL (fal's trainers) are used as they are: nothing is uploaded.
 * Weights inline as a `data:` URL (the mock's) or in a file on this machine are uploaded through
 * `storage` first, to a public URL the service's servers can download. Such files may expire as
 * the storage's settings say.
 */
export async function publishAdapter(source: AdapterSource, options: PublishAdapterOptions = {}): Promise<Adapter & { scale: number }> {
  const scale = options.scale ?? 1;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw mcError('INVALID_OPTIONS', `publishAdapter: scale must be a number, got ${JSON.stringify(scale)}`);
  const weights = weightsOf(source);
  const url = weights.url;
  if (/^https?:\/\//i.test(url) && URL.canParse(url)) return { path: url, scale };
  const inline = url.startsWith('data:') ? await decodeDataUrl(url) : undefined;
  const file = inline ? undefined : localPath(url);
  if (!inline && file === undefined) {
    throw mcError('INVALID_INPUT', `publishAdapter: the weights' location ${JSON.stringify(url.slice(0, 200))} is neither an http(s) URL, a data: URL nor a file on this machine`);
  }
  // A job and its artifacts are what a provider said. A path in them is never read from this
  // machine's disk: a provider from Git could name any file of the host, to have it uploaded.
  if (file !== undefined && weights.fromProvider) {
    throw mcError(
      'INVALID_INPUT',
      `publishAdapter: the job's weights name a file (${JSON.stringify(url.slice(0, 200))}); files named by a provider are not read from this machine. If the file is yours, pass its path: publishAdapter(path, { storage })`,
    );
  }
  const storage = storageOf(options.storage, inline ? 'inline (a data: URL)' : `in a file on this machine (${file})`);
  const fileName = weights.fileName ?? (inline ? 'lora.safetensors' : undefined);
  const contentType = weights.contentType ?? inline?.contentType;
  const stored = await storage.upload(inline ? inline.bytes : file!, {
    ...(fileName ? { fileName } : {}),
    ...(contentType ? { contentType } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (typeof stored?.url !== 'string' || !/^https?:\/\//i.test(stored.url)) {
    throw mcError('INVALID_RESPONSE', `publishAdapter: the storage answered the upload without an http(s) URL`);
  }
  return { path: stored.url, scale };
}

/** The weights a source names: a job's `weights` artifact, an artifact, or a URL or path. */
function weightsOf(source: AdapterSource): { url: string; fileName?: string; contentType?: string; fromProvider: boolean } {
  if (typeof source === 'string') {
    if (source.trim() === '') throw mcError('INVALID_INPUT', 'publishAdapter: the weights URL or path is empty');
    return { url: source, fromProvider: false };
  }
  if (typeof source !== 'object' || source === null)
    throw mcError('INVALID_INPUT', `publishAdapter: expected a completed training job, its weights artifact, or the weights' URL or path; got ${typeof source}`);
  if ('status' in source && 'providerId' in source) {
    const job = source as TrainingJobInfoV1;
    if (job.status !== 'completed') {
      throw mcError(
        'INVALID_INPUT',
        `publishAdapter: job ${job.id} of ${job.providerId} is ${job.status}; a LoRA can be published once its job completed (follow it with job.wait() or mediaconduit train wait)`,
      );
    }
    const found = (job.artifacts ?? []).find((a) => a.kind === 'weights');
    if (!found) {
      throw mcError(
        'INVALID_INPUT',
        `publishAdapter: job ${job.id} of ${job.providerId} lists no weights artifact${job.outputModel ? `; its model ${job.outputModel} is used by its id, on ${job.providerId}` : ''}`,
      );
    }
    return artifactWeights(found);
  }
  return artifactWeights(source as TrainingArtifactV1);
}

/** An artifact's weights, its name and type kept only when they are strings. */
function artifactWeights(artifact: TrainingArtifactV1): { url: string; fileName?: string; contentType?: string; fromProvider: true } {
  if (typeof artifact.url !== 'string' || artifact.url === '') throw mcError('INVALID_INPUT', 'publishAdapter: the weights artifact has no url');
  return {
    url: artifact.url,
    ...(typeof artifact.fileName === 'string' ? { fileName: artifact.fileName } : {}),
    ...(typeof artifact.contentType === 'string' ? { contentType: artifact.contentType } : {}),
    fromProvider: true,
  };
}

function storageOf(given: PublishAdapterOptions['storage'], where: string): FileStorageV1 {
  if (given && typeof (given as FileStorageV1).upload === 'function') return given as FileStorageV1;
  const own = (given as { storage?: FileStorageV1 } | undefined)?.storage;
  if (own && typeof own.upload === 'function') return own;
  const named = (given as { id?: unknown } | undefined)?.id;
  throw mcError(
    'INVALID_OPTIONS',
    `publishAdapter: the weights are ${where}, which a service cannot download; ${
      given ? `the provider${typeof named === 'string' ? ` "${named}"` : ''} offers no storage` : 'pass { storage }'
    }: a provider with public file storage (fal's), which uploads them to a URL any service can fetch`,
  );
}

/**
 * A `data:` URL's bytes and MIME type, as the Fetch standard reads one (base64 or percent-encoded):
 * `fetch` decodes it in this process, with no request.
 */
async function decodeDataUrl(url: string): Promise<{ bytes: Uint8Array; contentType: string }> {
  let bytes: Uint8Array;
  let contentType: string;
  try {
    const response = await fetch(url);
    bytes = new Uint8Array(await response.arrayBuffer());
    // Its essence only (`text/plain`, not `text/plain;charset=US-ASCII`): what a storage takes.
    contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim() || 'application/octet-stream';
  } catch {
    throw mcError('INVALID_INPUT', "publishAdapter: the weights' data: URL cannot be decoded (it is not a data: URL of the form data:<type>;base64,<data>)");
  }
  if (bytes.byteLength === 0) throw mcError('INVALID_INPUT', "publishAdapter: the weights' data: URL holds no bytes");
  return { bytes, contentType };
}

/** The path a `file:` URL or a plain path names; `undefined` for any other URL. */
function localPath(url: string): string | undefined {
  if (url.startsWith('file:')) {
    try {
      return fileURLToPath(url);
    } catch {
      return undefined;
    }
  }
  return /^[a-z][a-z0-9+.-]*:/i.test(url) && !/^[a-z]:[\\/]/i.test(url) ? undefined : url;
}
