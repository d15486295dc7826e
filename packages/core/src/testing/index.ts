export { createTestRepo, type TestRepo, type FileSpec } from './git-repo.js';
export { startGitHttpServer, type GitHttpServer, type GitRequestLog } from './git-http-server.js';
export { startGitDaemon, type GitDaemon } from './git-daemon.js';
