export { createTestRepo, type TestRepo, type FileSpec } from './git-repo.js';
export { startGitHttpServer, type GitHttpServer, type GitRequestLog } from './git-http-server.js';
export { startGitDaemon, type GitDaemon } from './git-daemon.js';
export { runConformance, checkProvider, formatConformanceReport, type ConformanceCheck, type ConformanceReport } from './conformance.js';
export { checkPng, checkJpeg, checkWav, checkImageBytes, sineWav } from './asset-checks.js';
export { loadProviderFromFolder, type FolderProvider, type LoadFolderOptions } from '../registry/load-folder.js';
