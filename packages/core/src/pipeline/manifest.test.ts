import { describe, expect, it } from 'vitest';
import { warmUpManifest } from './manifest.js';

describe('warmUpManifest', () => {
  // It runs while git clones; a sample the schema has come to refuse would stop at its first problem
  // and leave most of the parser to be compiled after git, on the load's critical path.
  it('parses a sample that passes every check, so that the warm-up runs the whole way', async () => {
    expect(await warmUpManifest()).toBe(true);
  });
});
