import { checkContractRange } from '../manifest/check-contract-range.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { readManifest } from '../manifest/read-manifest.js';
import type { ProviderSource } from '../source/provider-source.js';

/**
 * The manifest step: the provider folder's `MediaConduit.provider.yml`, read with a size cap and
 * without following a link, parsed (no YAML aliases, limited depth, no duplicate keys), checked
 * against the strict schema and the entry's path, and its contract range against this host's.
 *
 * @throws `INVALID_MANIFEST` listing every problem with its line, `INCOMPATIBLE_PROVIDER` naming both contract versions.
 */
export async function readProviderManifest(source: ProviderSource, providerDir: string): Promise<ProviderManifest> {
  const manifest = await readManifest(providerDir, source.specifier);
  checkContractRange(manifest, source.specifier);
  return manifest;
}
