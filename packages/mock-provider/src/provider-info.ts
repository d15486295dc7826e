// `mediaconduit init` rewrites these two lines (and the manifest) for a new provider.
export const PROVIDER_ID = 'mock';
export const PROVIDER_NAME = 'MediaConduit Mock';
