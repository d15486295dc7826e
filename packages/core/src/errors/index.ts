export { ERROR_CODES, type ErrorCode } from './error-code.js';
export { MediaConduitError, mcError, abortError, type MediaConduitErrorFields } from './mediaconduit-error.js';
