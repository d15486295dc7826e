import { MediaConduitError } from '@mediaconduit/provider';
import { describe, expect, it } from 'vitest';
import { fileSystemError } from './file-system-error.js';

const nodeError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

describe('file-system faults become typed errors', () => {
  it.each([
    ['EACCES', /permission denied on \/srv\/cache\/refs\/x\.json; make it writable for this user, or point `cacheDir`/],
    ['EROFS', /\/srv\/cache\/refs\/x\.json is on a read-only file system/],
    ['ENOSPC', /no space left on the device holding \/srv\/cache\/refs\/x\.json; free some space, or move the cache/],
  ])('%s names the path and the fix', (code, message) => {
    const error = fileSystemError('load github:acme/x', nodeError(code, 'open', '/srv/cache/refs/x.json')) as MediaConduitError;
    expect(MediaConduitError.hasCode(error, 'FILE_SYSTEM_ERROR')).toBe(true);
    expect(error.message).toMatch(/^load github:acme\/x: open failed/);
    expect(error.message).toMatch(message);
    expect(error.details).toEqual({ errno: code, path: '/srv/cache/refs/x.json', syscall: 'open' });
  });

  it('leaves other errors alone', () => {
    const other = new Error('something else');
    expect(fileSystemError('load x', other)).toBe(other);
  });
});
