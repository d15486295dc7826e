import { CONTRACT_VERSION } from '@mediaconduit/provider';
import { checkContractRange } from '../manifest/check-contract-range.js';
import type { ProviderManifest } from '../manifest/manifest.js';
import { parseManifest, readManifest } from '../manifest/read-manifest.js';
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

/** A manifest with a field of every kind, for this host's contract: parsing it compiles what a real manifest's parse runs. */
const SAMPLE = `id: warm-up
name: Warm-up
version: 1.0.0
description: Never loaded
type: remote
capabilities:
  - text-to-text
  - text-to-image
entry: src/index.ts
contract: ^${CONTRACT_VERSION}
env:
  - name: SAMPLE_KEY
    description: a key
    required: true
    secret:
      origins:
        - https://api.example.com
      header: "Authorization: Bearer {value}"
  - name: SAMPLE_URL
    required: false
models:
  - id: sample/model-1
    capability: text-to-text
    description: a model
`;

/**
 * Parses a built-in sample manifest and checks its contract range, while a cold load waits for
 * git: the first parse in a process costs about 15 ms more than later ones (the YAML parser, the
 * schema and semver's ranges are compiled on first use), and that then no longer lies between
 * git's end and the build. Never fails; resolves to whether the sample passed every check (so
 * that it ran the whole way).
 */
export async function warmUpManifest(): Promise<boolean> {
  try {
    checkContractRange(await parseManifest(SAMPLE, '(warm-up)'), '(warm-up)');
    return true;
  } catch {
    return false; // a real manifest's problems are the real parse's to report
  }
}
