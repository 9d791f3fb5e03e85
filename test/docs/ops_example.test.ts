import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT, tempDir } from '../helpers/cli.js';

test('the example of docs/ops.md runs as printed, against the library\'s source', () => {
  const doc = readFileSync(path.join(ROOT, 'docs', 'ops.md'), 'utf8');
  const m = /```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(m, 'docs/ops.md has a ```ts block');
  const file = path.join(tempDir('rnnkit-ops-doc-'), 'example.ts');
  const src = m[1].replace(/from 'rnnkit'/g, `from ${JSON.stringify(path.join(ROOT, 'src', 'index.ts'))}`);
  writeFileSync(file, `${src}\nconsole.log(JSON.stringify({ loss: loss.item(), grad: head.weight.grad !== null }));\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.ok(Number.isFinite(out.loss) && out.loss > 0, r.stdout);
  assert.equal(out.grad, true);
});
