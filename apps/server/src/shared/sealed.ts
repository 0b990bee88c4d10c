/**
 * Sealing of values kept outside the process (Redis): AES-256-GCM with a fresh 96-bit IV per
 * value and the owner's id as associated data, so a value copied under another key does not
 * open. Keys rotate: the first key seals, every key opens; each sealed value names its key by
 * a fingerprint (a hash of the key, not the key).
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export interface Sealer {
  seal(plaintext: string, associatedData: string): string;
  /** The plaintext, or undefined when the value is not ours, was altered, or its key is gone. */
  open(sealed: string, associatedData: string): string | undefined;
}

const VERSION = 'v1';

/** Parses `REDIS_ENCRYPTION_KEY`: base64 keys of 32 bytes, comma-separated, newest first. */
export function parseSealingKeys(value: string): Buffer[] {
  const keys = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => Buffer.from(part, 'base64'));
  if (keys.length === 0 || keys.some((key) => key.length !== 32)) {
    throw new Error('must be one or more comma-separated base64 keys of 32 bytes (openssl rand -base64 32)');
  }
  return keys;
}

const fingerprint = (key: Buffer) => createHash('sha256').update('cache-key').update(key).digest('base64url').slice(0, 11);

export function createSealer(keys: Buffer[]): Sealer {
  if (keys.length === 0) throw new Error('at least one key is needed');
  const byFingerprint = new Map(keys.map((key) => [fingerprint(key), key] as const));
  const current = keys[0]!;
  const currentId = fingerprint(current);
  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(associatedData));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, currentId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    },
    open(sealed, associatedData) {
      const [version, keyId, iv, tag, body] = sealed.split('.');
      const key = keyId === undefined ? undefined : byFingerprint.get(keyId);
      if (version !== VERSION || !key || !iv || !tag || body === undefined) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(associatedData));
        decipher.setAuthTag(Buffer.from(tag, 'base64url'));
        return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
