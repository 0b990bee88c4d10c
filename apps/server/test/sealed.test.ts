import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSealer, parseSealingKeys } from '../src/shared/sealed.js';

const key = () => randomBytes(32);

describe('sealing of values kept in Redis', () => {
  it('opens what it sealed, with the same associated data only', () => {
    const sealer = createSealer([key()]);
    const sealed = sealer.seal('{"access_token":"ya29.secret"}', 'ca_1');
    expect(sealed).not.toContain('ya29');
    expect(sealer.open(sealed, 'ca_1')).toBe('{"access_token":"ya29.secret"}');
    expect(sealer.open(sealed, 'ca_2')).toBeUndefined();
  });

  it('uses a fresh IV for every value', () => {
    const sealer = createSealer([key()]);
    expect(sealer.seal('same', 'ca_1')).not.toBe(sealer.seal('same', 'ca_1'));
  });

  it('refuses altered values and values under unknown keys', () => {
    const sealer = createSealer([key()]);
    const sealed = sealer.seal('secret', 'ca_1');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    expect(sealer.open([...parts.slice(0, 4), body.toString('base64url')].join('.'), 'ca_1')).toBeUndefined();
    expect(createSealer([key()]).open(sealed, 'ca_1')).toBeUndefined();
    expect(sealer.open('not sealed', 'ca_1')).toBeUndefined();
  });

  it('rotates keys: the newest seals, older ones still open', () => {
    const [older, newer] = [key(), key()];
    const before = createSealer([older]).seal('old value', 'ca_1');
    const rotated = createSealer([newer, older]);
    expect(rotated.open(before, 'ca_1')).toBe('old value');
    const after = rotated.seal('new value', 'ca_1');
    expect(createSealer([newer]).open(after, 'ca_1')).toBe('new value');
    expect(createSealer([older]).open(after, 'ca_1')).toBeUndefined();
  });

  it('parses a comma-separated list of base64 32-byte keys and refuses anything else', () => {
    const [a, b] = [key(), key()];
    expect(parseSealingKeys(`${a.toString('base64')}, ${b.toString('base64')}`)).toEqual([a, b]);
    expect(() => parseSealingKeys('')).toThrow(/32 bytes/);
    expect(() => parseSealingKeys(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(() => parseSealingKeys('not base64 at all!!')).toThrow(/32 bytes/);
  });
});
