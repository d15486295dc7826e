// Import rules checked in CI (pnpm lint): no cycles between files or between folders, and the
// package layering of ARCHITECTURE.md. Packages reach each other only by package name.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'files must not import each other in a cycle', from: {}, to: { circular: true } },
    {
      name: 'no-circular-folders',
      severity: 'error',
      scope: 'folder',
      comment: 'folders must not depend on each other in a cycle (each folder is one layer of the pipeline)',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-relative-imports-across-packages',
      severity: 'error',
      comment: 'a package imports another by its name (@mediaconduit/…), never by a relative path into its folder',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: ['^packages/$1/', '^packages/[^/]+/dist/'] },
    },
    {
      name: 'contract-depends-on-nothing',
      severity: 'error',
      comment: '@mediaconduit/provider has no runtime dependencies: only Node built-ins and its own files',
      from: { path: '^packages/provider/src', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypesNot: ['local', 'core', 'type-only'], pathNot: '^packages/provider/src' },
    },
    {
      name: 'providers-bind-only-the-contract',
      severity: 'error',
      comment: 'a provider bundle binds to @mediaconduit/provider alone (its testing/ folder, tests and fakes may use the test kit)',
      from: { path: '^packages/(mock|together|fal)-provider/src', pathNot: '/testing/' },
      to: { path: '^packages/(core|cli|testing)/' },
    },
    {
      name: 'core-is-below-cli-and-testing',
      severity: 'error',
      comment: 'the loader never depends on the command or the test kit',
      from: { path: '^packages/(core|provider)/src' },
      to: { path: '^packages/(cli|testing)/' },
    },
    {
      name: 'core-libraries-below-the-pipeline',
      severity: 'error',
      comment:
        "core's libraries (git/, cache/, build/, manifest/, lockfile/, source/, context/, http/, util/) know nothing of the load pipeline, the registry or the call runtime above them",
      from: { path: '^packages/core/src/(git|cache|build|manifest|lockfile|source|context|http|util)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^packages/core/src/(pipeline|registry|calls|training)/' },
    },
    {
      name: 'pipeline-below-the-registry',
      severity: 'error',
      comment: 'the steps of a load never reach up into the registry that runs them',
      from: { path: '^packages/core/src/pipeline/' },
      to: { path: '^packages/core/src/(registry|calls|training)/' },
    },
    {
      name: 'steps-do-not-import-the-loads',
      severity: 'error',
      comment: 'each step (resolve, fetch, verify, manifest, install, build, instantiate) stands alone; only cold-load and warm-load chain them',
      from: { path: '^packages/core/src/pipeline/(resolve|fetch|verify|manifest|install|build|instantiate|validate-provider)\\.ts$' },
      to: { path: '^packages/core/src/pipeline/(cold-load|warm-load|build-side)\\.ts$' },
    },
    {
      name: 'calls-know-no-loading',
      severity: 'error',
      comment: 'the call runtime (retries, fallback, call log, usage) wraps any model: it never depends on how providers are loaded',
      from: { path: '^packages/core/src/calls/' },
      to: { path: '^packages/core/src/(pipeline|registry|cache|git|build|manifest|lockfile|training)/' },
    },
    {
      name: 'testing-is-below-cli',
      severity: 'error',
      comment: 'the test kit never depends on the command',
      from: { path: '^packages/testing/src' },
      to: { path: '^packages/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['/test/fixtures/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['types', 'import', 'default'], extensions: ['.ts', '.d.ts', '.js', '.mjs'] },
  },
};
