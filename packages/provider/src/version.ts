/**
 * Version of this contract, `@mediaconduit/provider` (kept equal to package.json by a test).
 * A provider's manifest names the range it was written for under `contract`.
 */
export const CONTRACT_VERSION = '0.1.0';
