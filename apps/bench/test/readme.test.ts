/** The README's Performance figures are the results files', rendered, never typed by hand. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { currentBlock, README, renderBlock } from '../readme.mjs';

describe("the README's Performance block", () => {
  it('is exactly what apps/bench/results/ renders (node apps/bench/readme.mjs rewrites it)', () => {
    expect(currentBlock()).toBe(renderBlock());
  });

  it('holds the latest benchmark table and load table, and no template placeholder', () => {
    const block = currentBlock();
    expect(block).toContain('| server, warm |');
    expect(block).toContain('| connections | duration |');
    // What is left against the targets, and where every step is recorded.
    expect(block).toContain('**Against the targets: what the profiles show is left**');
    expect(block).toContain('(apps/bench/results/profile-notes.md)');
    expect(block).not.toMatch(/\{\w+\}/);
    // The results files' titles are lead lines here, not headings among the README's own.
    expect(block).not.toMatch(/^#{1,2} /m);
  });

  it('has no figure typed by hand in the prose around it', () => {
    const readme = readFileSync(README, 'utf8');
    const section = readme.slice(readme.indexOf('## Performance'), readme.indexOf('<!-- bench:start -->'));
    // Throughput or latency figures belong in the results files, not in prose.
    expect(section).not.toMatch(/\d[\d,.]*\s*(req\/s|ms\b|µs)/);
  });
});
