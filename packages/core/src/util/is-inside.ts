import { sep } from 'node:path';

/** Whether `path` is `root` or lies below it (both absolute and resolved; compared as text, no link followed). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}
