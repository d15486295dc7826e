import { CONTRACT_VERSION } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import gt from 'semver/functions/gt.js';
import satisfies from 'semver/functions/satisfies.js';
import minVersion from 'semver/ranges/min-version.js';
import type { ProviderManifest } from './manifest.js';

/**
 * Fails with `INCOMPATIBLE_PROVIDER`, naming both versions, when the provider's manifest asks for
 * a contract range that this host's `@mediaconduit/provider` does not satisfy.
 */
export function checkContractRange(manifest: Pick<ProviderManifest, 'id' | 'version' | 'contract' | 'legacyCoreField'>, label: string): void {
  if (satisfies(CONTRACT_VERSION, manifest.contract, { includePrerelease: true })) return;
  const field = manifest.legacyCoreField ? 'core' : 'contract';
  const lowest = minVersion(manifest.contract);
  const newer = lowest !== null && gt(lowest, CONTRACT_VERSION);
  throw mcError(
    'INCOMPATIBLE_PROVIDER',
    `load ${label}: provider ${manifest.id}@${manifest.version} is written for the provider contract ${manifest.contract} (its manifest's "${field}"), but this host runs @mediaconduit/provider ${CONTRACT_VERSION}; ${
      newer
        ? 'upgrade @mediaconduit/core (which brings the newer contract), or pin an older provider version'
        : `pin a provider version written for ${CONTRACT_VERSION}, or ask its author to rebuild it against it and set contract: ^${CONTRACT_VERSION}`
    }`,
    {
      details: { required: manifest.contract, actual: CONTRACT_VERSION, provider: manifest.id },
    },
  );
}
