import { mcError } from '../errors/mediaconduit-error.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import type { MediaProviderV1 } from '../spec/media-provider-v1.js';

const REQUIRED_MEMBERS = ['listModels', 'getModel', 'getModelsForCapability', 'isAvailable', 'getHealth'] as const;

/**
 * Checks that `value` is a v1 provider matching its manifest: spec version, required members,
 * and declared capabilities equal to implemented ones. Reports every problem at once.
 *
 * @throws `INCOMPATIBLE_PROVIDER`.
 */
export function validateProvider(value: unknown, manifest: Pick<ProviderManifest, 'id' | 'capabilities'>, label: string): MediaProviderV1 {
  const problems: string[] = [];
  if (typeof value !== 'object' || value === null) {
    throw mcError('INCOMPATIBLE_PROVIDER', `load ${label}: the factory returned ${value === null ? 'null' : typeof value}, not a provider object`);
  }
  const provider = value as Partial<Record<string, unknown>>;
  if (provider.specificationVersion !== 'v1') problems.push(`specificationVersion is ${JSON.stringify(provider.specificationVersion)}; this core runs "v1" providers`);
  if (typeof provider.id !== 'string' || provider.id === '') problems.push('id is missing');
  else if (provider.id !== manifest.id) problems.push(`id "${provider.id}" differs from the manifest's "${manifest.id}"`);
  if (typeof provider.name !== 'string') problems.push('name is missing');
  if (provider.type !== 'remote' && provider.type !== 'local') problems.push('type must be "remote" or "local"');
  for (const member of REQUIRED_MEMBERS) if (typeof provider[member] !== 'function') problems.push(`${member}() is missing`);
  if (!Array.isArray(provider.capabilities)) problems.push('capabilities is missing');
  else {
    const implemented = new Set(provider.capabilities as string[]);
    const declared = new Set<string>(manifest.capabilities);
    const missing = [...declared].filter((c) => !implemented.has(c));
    const extra = [...implemented].filter((c) => !declared.has(c));
    if (missing.length) problems.push(`declares ${missing.join(', ')} in the manifest but does not implement ${missing.length === 1 ? 'it' : 'them'}`);
    if (extra.length) problems.push(`implements ${extra.join(', ')} but the manifest does not declare ${extra.length === 1 ? 'it' : 'them'}`);
  }
  if (problems.length > 0) {
    throw mcError('INCOMPATIBLE_PROVIDER', `load ${label}: not a valid v1 provider:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { problems } });
  }
  return value as MediaProviderV1;
}
