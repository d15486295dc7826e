import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as contract from './index.js';
import { CONTRACT_VERSION } from './version.js';

// Every name below is plugin ABI: provider bundles bind to exactly this list. Adding or removing
// one changes every bundle key, so it is a deliberate change of the contract (and its version).
const CONTRACT_EXPORTS = [
  'Audio',
  'CAPABILITIES',
  'CONTRACT_VERSION',
  'ERROR_CODES',
  'Embedding',
  'Image',
  'MediaAsset',
  'MediaConduitError',
  'TRAINING_OPTION_FIELDS',
  'TRAINING_STATUSES',
  'Text',
  'checkTrainingData',
  'closestMatches',
  'decodeWav16',
  'encodePng',
  'encodeWav',
  'isCapability',
  'isFinalTrainingStatus',
  'modelWithCapability',
  'readImageInfo',
  'readWavInfo',
  'refuseTrainingOptions',
  'trainingJobHandle',
  'wholeImageProblem',
];

describe('@mediaconduit/provider', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, unknown>;

  it('exports exactly the pinned contract', () => {
    expect(Object.keys(contract).sort()).toEqual(CONTRACT_EXPORTS);
  });

  it('has no runtime dependencies, and CONTRACT_VERSION is its package version', () => {
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.peerDependencies).toBeUndefined();
    expect(CONTRACT_VERSION).toBe(pkg.version);
  });
});
