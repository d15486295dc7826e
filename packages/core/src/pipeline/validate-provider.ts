import type { Capability, MediaProviderV1 } from '@mediaconduit/provider';
import { mcError } from '../util/errors.js';
import type { ProviderManifest } from '../manifest/manifest.js';

const REQUIRED_MEMBERS = ['listModels', 'getModel', 'getModelsForCapability', 'isAvailable', 'getHealth'] as const;

/** What is wrong with a provider object's shape, by kind; empty lists when it is a valid v1 provider. */
export interface ProviderShapeProblems {
  /** Spec version, id, name, type and required methods. */
  spec: string[];
  /** Declared (manifest) against implemented (`capabilities`) capabilities. */
  capabilities: string[];
}

/**
 * Checks that `value` is a v1 provider matching its manifest: spec version, required members,
 * and declared capabilities equal to implemented ones. The loader and the conformance kit share it.
 */
export function providerShapeProblems(value: unknown, manifest: { readonly id: string; readonly capabilities: readonly Capability[] }): ProviderShapeProblems {
  const spec: string[] = [];
  const capabilities: string[] = [];
  if (typeof value !== 'object' || value === null) return { spec: [`the factory returned ${value === null ? 'null' : typeof value}, not a provider object`], capabilities };
  const provider = value as Partial<Record<string, unknown>>;
  if (provider.specificationVersion !== 'v1') spec.push(`specificationVersion is ${JSON.stringify(provider.specificationVersion)}; this host runs "v1" providers`);
  if (typeof provider.id !== 'string' || provider.id === '') spec.push('id is missing');
  else if (provider.id !== manifest.id) spec.push(`id "${provider.id}" differs from the manifest's "${manifest.id}"`);
  if (typeof provider.name !== 'string' || provider.name === '') spec.push('name is missing');
  if (provider.type !== 'remote' && provider.type !== 'local') spec.push(`type is ${JSON.stringify(provider.type)}; it must be "remote" or "local"`);
  for (const member of REQUIRED_MEMBERS) if (typeof provider[member] !== 'function') spec.push(`${member}() is missing`);
  if (!Array.isArray(provider.capabilities)) capabilities.push('capabilities is missing');
  else {
    const implemented = new Set(provider.capabilities as string[]);
    const declared = new Set<string>(manifest.capabilities);
    const missing = [...declared].filter((c) => !implemented.has(c));
    const extra = [...implemented].filter((c) => !declared.has(c));
    if (missing.length) capabilities.push(`declares ${missing.join(', ')} in the manifest but does not implement ${missing.length === 1 ? 'it' : 'them'}`);
    if (extra.length) capabilities.push(`implements ${extra.join(', ')} but the manifest does not declare ${extra.length === 1 ? 'it' : 'them'}`);
  }
  return { spec, capabilities };
}

/**
 * Returns `value` as a provider when its shape is valid; else reports every problem at once.
 *
 * @throws `INCOMPATIBLE_PROVIDER`.
 */
export function validateProvider(value: unknown, manifest: Pick<ProviderManifest, 'id' | 'capabilities'>, label: string): MediaProviderV1 {
  const { spec, capabilities } = providerShapeProblems(value, manifest);
  const problems = [...spec, ...capabilities];
  if (problems.length > 0) {
    throw mcError('INCOMPATIBLE_PROVIDER', `load ${label}: not a valid v1 provider:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { details: { problems } });
  }
  return value as MediaProviderV1;
}
