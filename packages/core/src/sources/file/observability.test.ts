import { describe, expect, it } from 'vitest';
import { insecureModeWarning, mountPoints } from './observability.js';

describe('mountPoints', () => {
  it('lists field 5 of each mountinfo line with octal escapes decoded', () => {
    const text = [
      '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
      '42 27 254:0 /var/lib/kubelet/pods/x/volumes/secret/..2026/password /etc/app/my\\040password rw - ext4 /dev/vda rw',
    ].join('\n');
    expect(mountPoints(text)).toEqual(new Set(['/', '/etc/app/my password']));
  });
});

describe('insecureModeWarning', () => {
  const read = (mode: number) => ({
    shape: 'directory' as const,
    atomic: true,
    files: new Map([['password', { bytes: Buffer.from('x'), mode, path: '/v/password' }]]),
  });

  it('flags group- or world-readable files with their mode', () => {
    expect(insecureModeWarning('/v', read(0o644))?.message).toContain('password (0644)');
    expect(insecureModeWarning('/v', read(0o440))?.code).toBe('LEASEHOLD_FILE_INSECURE_MODE');
  });

  it('accepts owner-only files', () => {
    expect(insecureModeWarning('/v', read(0o400))).toBeUndefined();
    expect(insecureModeWarning('/v', read(0o600))).toBeUndefined();
  });
});
