import * as contract from '@mediaconduit/provider';

/**
 * Where a bundle finds the host's provider contract. Bundles never embed the contract and never
 * contain the host's paths: their `import … from '@mediaconduit/provider'` becomes a read of this
 * global slot, which the registry fills with the running contract before importing a bundle.
 */
export const CONTRACT_BINDING_KEY = 'mediaconduit.provider.v1';

/** The names a bundle may import from the host: the contract's exports, and nothing else. */
export const CONTRACT_EXPORTS: readonly string[] = Object.freeze(Object.keys(contract).sort());

/** Makes the running contract the module that bundles bind to. */
export function bindContract(): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(CONTRACT_BINDING_KEY)] = contract;
}

/** Source of the virtual module that replaces `@mediaconduit/provider` inside bundles. */
export function contractShimSource(): string {
  const names = CONTRACT_EXPORTS.filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
  return [
    `const contract = globalThis[Symbol.for(${JSON.stringify(CONTRACT_BINDING_KEY)})];`,
    `if (!contract) throw new Error("This provider bundle must be loaded through @mediaconduit/core (registry.getProvider), which binds it to the host's @mediaconduit/provider.");`,
    `export const { ${names.join(', ')} } = contract;`,
  ].join('\n');
}
