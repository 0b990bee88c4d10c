/**
 * The patched sonic-boom (pnpm-workspace.yaml, patches/), the server's stdout under pino: a write
 * remembers the byte length of the chunk it appends to, instead of counting the whole chunk again
 * for every line (which flattened and scanned up to the buffer's size, LOG_BUFFER_BYTES, per
 * line). Fails when the patch stops applying; and the bytes written are the lines, in order, in
 * writes of at most sonic-boom's largest write, whatever the characters.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOG_BUFFER_BYTES } from '../src/logging.js';

// sonic-boom as pino resolves it: the copy the server writes through.
const fromPino = createRequire(createRequire(import.meta.url).resolve('pino'));
const sonicBoomPath = fromPino.resolve('sonic-boom');
const SonicBoom = fromPino('sonic-boom') as new (options: Record<string, unknown>) => {
  write(data: string): boolean;
  end(): void;
  maxWrite: number;
  on(event: 'write', listener: (bytes: number) => void): void;
  once(event: 'close' | 'error', listener: (error?: Error) => void): void;
};

const dir = mkdtempSync(path.join(tmpdir(), 'sonic-boom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the sonic-boom patch', () => {
  it('is applied to the copy pino uses', () => {
    const source = readFileSync(sonicBoomPath, 'utf8');
    expect(source).toContain('last === this._lastBuf ? this._lastBufLen : Buffer.byteLength(last)');
    // pnpm installs a patched copy under a name of its own, with the patch's hash.
    expect(sonicBoomPath).toMatch(/sonic-boom@4\.2\.1_patch_hash=[0-9a-f]+/);
  });

  it('writes every line, in order, in writes no larger than its largest, with multi-byte characters', async () => {
    const file = path.join(dir, 'out.log');
    const stream = new SonicBoom({ dest: file, sync: false, minLength: LOG_BUFFER_BYTES });
    const writes: number[] = [];
    stream.on('write', (bytes) => writes.push(bytes));
    const lines: string[] = [];
    for (let i = 0; i < 3000; i += 1) {
      // One-byte, two-byte, three-byte and four-byte characters, in lines of varying length.
      const line = `{"n":${i},"text":"${'aé€😀'.repeat(i % 37)}${'x'.repeat((i * 7) % 300)}"}\n`;
      lines.push(line);
      stream.write(line);
    }
    await new Promise<void>((resolve, reject) => {
      stream.once('close', () => resolve());
      stream.once('error', reject);
      stream.end();
    });
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
    expect(Math.max(...writes)).toBeLessThanOrEqual(stream.maxWrite);
    // Lines were gathered: far fewer writes than lines.
    expect(writes.length).toBeLessThan(lines.length / 10);
  });
});
