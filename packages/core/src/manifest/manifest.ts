import type { Capability } from '@mediaconduit/provider';

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
  /** Semver range of `@mediaconduit/provider` (the contract) the provider is written for. */
  contract: string;
  /** True when the manifest used the old field name `core` for {@link contract}. */
  legacyCoreField: boolean;
  env: ManifestEnvVar[];
  models: ManifestModelHint[];
}
