import type { Capability } from '../spec/capability.js';

/** File name of a provider manifest. */
export const MANIFEST_FILE = 'MediaConduit.provider.yml';

/** An environment variable a provider reads. */
export interface ManifestEnvVar {
  name: string;
  description: string;
  required: boolean;
}

/** A model the provider suggests before live discovery. */
export interface ManifestModelHint {
  id: string;
  capability: Capability;
  description?: string;
}

/** A validated `MediaConduit.provider.yml`. */
export interface ProviderManifest {
  id: string;
  name: string;
  version: string;
  description: string;
  type: 'remote' | 'local';
  capabilities: Capability[];
  /** Entry file, relative to the provider folder. */
  entry: string;
  /** Semver range of `@mediaconduit/core` the provider needs. */
  core: string;
  env: ManifestEnvVar[];
  models: ManifestModelHint[];
}
