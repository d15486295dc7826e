import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// What each package offers from its entry points, pinned. A change here is a change of a public
// API: update the list together with the package's README (and its version, once published).
const EXPORTS: Record<string, string[]> = {
  '@mediaconduit/core': [
    'Audio',
    'CAPABILITIES',
    'CONTRACT_VERSION',
    'CORE_VERSION',
    'ERROR_CODES',
    'Embedding',
    'Image',
    'LOCKFILE_NAME',
    'MANIFEST_FILE',
    'MediaAsset',
    'MediaConduitError',
    'TRAINING_OPTION_FIELDS',
    'TRAINING_STATUSES',
    'Text',
    'TrainingJobWatcher',
    'applyUrlRewrites',
    'callbackCallLog',
    'checkTrainingData',
    'cleanCache',
    'closestMatches',
    'createHttpClient',
    'createLogger',
    'createModelRuntime',
    'createProviderRegistry',
    'debugEnabled',
    'decodeWav16',
    'encodePng',
    'encodeWav',
    'getProviderRegistry',
    'isCapability',
    'isFinalTrainingStatus',
    'isRetryable',
    'jsonlCallLog',
    'listCache',
    'loadProviderFromFolder',
    'localRepositoryState',
    'memoryCallLog',
    'modelWithCapability',
    'parseSpecifier',
    'parseUrlRewrites',
    'providerShapeProblems',
    'pruneCache',
    'publishAdapter',
    'readImageInfo',
    'readLockfile',
    'readWavInfo',
    'refuseTrainingOptions',
    'trainingJobHandle',
    'verifyCache',
    'wholeImageProblem',
    'withAdapters',
  ],
  '@mediaconduit/testing': [
    'checkImageBytes',
    'checkJpeg',
    'checkPng',
    'checkProvider',
    'checkWav',
    'createTestRepo',
    'echoProviderFiles',
    'encodeBlockJpeg',
    'formatConformanceReport',
    'loadProviderFromFolder',
    'openApiRequestValidator',
    'pinLockfileTo',
    'runConformance',
    'sineWav',
    'startGitDaemon',
    'startGitHttpServer',
    'startNpmRegistry',
  ],
  '@mediaconduit/mock-provider': ['MOCK_MODELS', 'MOCK_TRAINING_DEFAULTS', 'createMockProvider', 'default'],
  '@mediaconduit/together-provider': ['CAPABILITY_OF_TYPE', 'TOGETHER_TRAINING_DEFAULTS', 'createTogether', 'default'],
  '@mediaconduit/together-provider/testing': ['FAKE_MODELS', 'startFakeTogether'],
  '@mediaconduit/fal-provider': ['DEFAULT_TRAINER', 'FALLBACK_MODELS', 'FAL_TRAINERS', 'createFal', 'default'],
  '@mediaconduit/fal-provider/testing': ['ENDPOINTS', 'FAKE_FAL_MODELS', 'FAL_HOSTS', 'IMAGE_SIZES', 'startFakeFal'],
};

const PACKAGES = ['provider', 'core', 'cli', 'testing', 'mock-provider', 'together-provider', 'fal-provider'];

describe('package export lists', () => {
  for (const [name, expected] of Object.entries(EXPORTS)) {
    it(`${name} exports the pinned names`, async () => {
      expect(Object.keys(await import(name)).sort()).toEqual(expected);
    });
  }
});

describe('publishable package.json files', () => {
  for (const dir of PACKAGES) {
    it(`packages/${dir} ships compiled ESM with types, an exports map, files, engines, a license and a README`, () => {
      const root = new URL(`../packages/${dir}/`, import.meta.url);
      const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
        name: string;
        private?: boolean;
        type: string;
        license: string;
        engines: { node: string };
        files: string[];
        exports: Record<string, string | { types: string; default: string }>;
        bin?: Record<string, string>;
      };
      expect(pkg.private).toBeUndefined();
      expect(pkg.type).toBe('module');
      expect(pkg.license).toBe('MIT');
      expect(pkg.engines.node).toBe('>=20.18.1');
      expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'LICENSE']));
      expect(existsSync(new URL('README.md', root)) && existsSync(new URL('LICENSE', root))).toBe(true);
      expect(pkg.exports['./package.json']).toBe('./package.json');
      for (const [subpath, target] of Object.entries(pkg.exports)) {
        if (subpath === './package.json') continue;
        expect(target, subpath).toEqual({ types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/), default: expect.stringMatching(/^\.\/dist\/.*\.js$/) });
        if (typeof target === 'string') continue;
        expect(existsSync(new URL(target.types, root)) && existsSync(new URL(target.default, root)), `${subpath} is built`).toBe(true);
      }
      if (dir === 'cli') expect(pkg.bin).toEqual({ mediaconduit: './bin/mediaconduit.js' });
    });
  }
});
