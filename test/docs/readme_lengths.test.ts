import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The README's variable-length snippet, as printed (with 'rnnkit' pointing at the sources), must run. */
test('the README\'s snippet of a batch with lengths runs as printed', { timeout: 120_000 }, () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Sequences of different lengths'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'README.md has a ```ts block under "Sequences of different lengths"');
  const src = m[1].replace(/from 'rnnkit'/g, `from ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`)
    + '\nif (!(Number.isFinite(loss.item()) && output.shape.join() === "3,5,32" && h.shape.join() === "2,3,16")) process.exit(3);\n';
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'rnnkit-readme-')), 'lengths.mts');
  writeFileSync(file, src);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
});
