// @mediaconduit/testing: for provider authors' tests and MediaConduit's own. Real Git
// repositories and servers on 127.0.0.1, the conformance kit, asset checks, and encoders fakes use.
export { createTestRepo, type TestRepo, type FileSpec } from './git-repo.js';
export { startGitHttpServer, type GitHttpServer, type GitRequestLog } from './git-http-server.js';
export { startGitDaemon, type GitDaemon } from './git-daemon.js';
export { runConformance, checkProvider, formatConformanceReport, type ConformanceCheck, type ConformanceReport } from './conformance.js';
export { checkPng, checkJpeg, checkWav, checkImageBytes, sineWav } from './asset-checks.js';
export { encodeBlockJpeg } from './jpeg.js';
export { echoProviderFiles, type EchoProviderOptions } from './echo-provider.js';
export { pinLockfileTo, startNpmRegistry, type NpmPackageSource, type NpmRegistry } from './npm-registry.js';
export { loadProviderFromFolder, type FolderProvider, type LoadFolderOptions } from '@mediaconduit/core';
export { openApiRequestValidator, type OpenApiRequestSchemas, type OpenApiRequestValidator } from './openapi-validator.js';
