/**
 * Where a bundle finds the host's `@mediaconduit/core`. Bundles never embed core and never
 * contain the host's paths: their `import … from '@mediaconduit/core'` becomes a read of this
 * global slot, which the registry fills with the running core before importing a bundle.
 */
export const CORE_BINDING_KEY = 'mediaconduit.core.v1';

/** Makes `core` the module that bundles bind to. */
export function bindCore(core: Readonly<Record<string, unknown>>): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(CORE_BINDING_KEY)] = core;
}

/** Source of the virtual module that replaces `@mediaconduit/core` inside bundles. */
export function coreShimSource(exportNames: readonly string[]): string {
  const names = exportNames.filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
  return [
    `const core = globalThis[Symbol.for(${JSON.stringify(CORE_BINDING_KEY)})];`,
    `if (!core) throw new Error("This provider bundle must be loaded through @mediaconduit/core (registry.getProvider), which binds it to the host's core.");`,
    `export const { ${names.join(', ')} } = core;`,
  ].join('\n');
}
