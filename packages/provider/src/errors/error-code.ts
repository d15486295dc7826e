/**
 * Stable error codes. Match on `error.code`, never on the message text.
 * Codes are never renamed within a major version of `@mediaconduit/core`.
 */
export const ERROR_CODES = [
  // loading providers
  'INVALID_SPECIFIER',
  'INVALID_OPTIONS',
  'REF_NOT_FOUND',
  'GIT_FAILED',
  'NOT_CACHED',
  'INVALID_MANIFEST',
  'INSTALL_FAILED',
  'BUILD_FAILED',
  'PROVIDER_LOAD_FAILED',
  'INCOMPATIBLE_PROVIDER',
  'INTEGRITY_MISMATCH',
  'LOCKFILE_FROZEN',
  'LOCKFILE_CORRUPT',
  'LOCK_TIMEOUT',
  'LIMIT_EXCEEDED',
  'UNSAFE_CHECKOUT',
  'FILE_SYSTEM_ERROR',
  // using models
  'MODEL_NOT_FOUND',
  'UNSUPPORTED_CAPABILITY',
  'UNSUPPORTED',
  'INVALID_INPUT',
  'MISSING_CONFIGURATION',
  'MISSING_API_KEY',
  'AUTHENTICATION_FAILED',
  'PERMISSION_DENIED',
  'INSUFFICIENT_CREDITS',
  'RATE_LIMITED',
  'CONTENT_REFUSED',
  'PROVIDER_ERROR',
  'INVALID_RESPONSE',
  'TIMEOUT',
  'CONNECTION_FAILED',
  'ABORTED',
  'ALL_FALLBACKS_FAILED',
  // a provider in its own process exited, crashed or ran out of memory (the next call starts it again)
  'PROVIDER_CRASHED',
  // training
  'TRAINING_FAILED',
] as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[number];
