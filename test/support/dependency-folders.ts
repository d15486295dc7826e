import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder `name` resolves to from `from`, by Node's node_modules lookup; `undefined` when none. */
function resolvePackage(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * The installed folders of every package that `roots` need at run time (dependencies and the
 * optional ones present on this machine, recursively), found in this workspace's node_modules,
 * and the optional ones that are not installed here (other platforms' binaries), by exact version.
 * Names matching `skip` (packages served another way) are left out.
 */
export function dependencyFolders(roots: readonly string[], skip: (name: string) => boolean): { folders: string[]; absentOptional: { name: string; version: string }[] } {
  const found = new Map<string, string>();
  const absent = new Map<string, { name: string; version: string }>();
  const visit = (folder: string) => {
    const pkg = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string> };
    const optional = new Set(Object.keys(pkg.optionalDependencies ?? {}));
    for (const name of new Set([...Object.keys(pkg.dependencies ?? {}), ...optional])) {
      if (skip(name)) continue;
      const dir = resolvePackage(name, folder);
      if (!dir) {
        const version = pkg.optionalDependencies?.[name] ?? '';
        if (optional.has(name) && /^\d+\.\d+\.\d+$/.test(version)) {
          absent.set(`${name}@${version}`, { name, version }); // another platform's binary, say
          continue;
        }
        throw new Error(`${name}, a dependency of ${folder}, is not installed; run pnpm install`);
      }
      if (found.has(dir)) continue;
      found.set(dir, name);
      visit(dir);
    }
  };
  for (const root of roots) visit(realpathSync(root));
  return { folders: [...found.keys()], absentOptional: [...absent.values()] };
}
