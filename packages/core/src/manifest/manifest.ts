import type { Capability } from '@mediaconduit/provider';

/** File name of a provider manifest. */
export const MANIFEST_FILE = 'MediaConduit.provider.yml';

/** What a manifest's `id` may be: it names folders (`state/providers/<id>`), so nothing that walks out of one. */
export const MANIFEST_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** An environment variable a provider reads. */
export interface ManifestEnvVar {
  name: string;
  description: string;
  required: boolean;
  /**
   * Whether the value is a secret. `true`/`false` say so; absent, a name such as `*_API_KEY` or
   * `*_TOKEN` says it. An object makes it a secret the host keeps: the provider never sees the value,
   * and the host adds `header` (with `{value}` replaced) to the provider's requests to `origins`.
   */
  secret?: boolean | SecretDelivery | undefined;
}

/** How the host sends a secret it keeps: to which https origins, in which header. */
export interface SecretDelivery {
  origins: string[];
  /** A header line with the placeholder `{value}`, e.g. `Authorization: Bearer {value}`. */
  header: string;
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
