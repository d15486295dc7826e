import type { CallOptionsV1 } from './call-options-v1.js';

/** Options of {@link FileStorageV1.upload}. */
export interface FileUploadOptionsV1 extends CallOptionsV1 {
  /** The file's name at the service. Default: the path's base name (for bytes: `file.bin`). */
  fileName?: string;
  /** Its MIME type. Default: from the name's extension, else `application/octet-stream`. */
  contentType?: string;
}

/** A file the service keeps, at a URL anyone can fetch. */
export interface StoredFileV1 {
  url: string;
  fileName: string;
  bytes: number;
  contentType: string;
}

/**
 * A provider's public file storage: what is uploaded gets a URL that other services can fetch
 * (for example, LoRA weights that Together's FLUX downloads). Files may expire, as the service's
 * settings say.
 */
export interface FileStorageV1 {
  /** Uploads a file (a path on this machine, or its bytes) and returns where it is kept. */
  upload(file: string | Uint8Array, options?: FileUploadOptionsV1): Promise<StoredFileV1>;
}
