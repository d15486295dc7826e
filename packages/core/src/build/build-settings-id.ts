/**
 * Identifies the esbuild version and settings bundles are built with. Changing either must
 * change this id (a test checks it against esbuild's version), so old bundles are rebuilt.
 * Kept apart from the build module so that warm loads never load esbuild.
 */
export const BUILD_SETTINGS_ID = 'esbuild-0.28.2/esm-node20/v3';
