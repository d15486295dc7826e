// Ships the provider template for `mediaconduit init`: a copy of the mock provider, without its
// build output, dependencies and repository-only files.
import { cp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const template = fileURLToPath(new URL('../template/', import.meta.url));
const mock = fileURLToPath(new URL('../../mock-provider/', import.meta.url));
await rm(template, { recursive: true, force: true });
await cp(mock, template, { recursive: true, filter: (source) => !/(^|[\\/])(node_modules|dist|test|LICENSE|tsconfig\.build\.json)$/.test(source.slice(mock.length)) });
// npm never packs a file named .gitignore; `mediaconduit init` renames it back.
await rename(join(template, '.gitignore'), join(template, 'gitignore'));
