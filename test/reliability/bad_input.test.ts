import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, lstatSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { CLI, tempDir } from '../helpers/cli.js';
import type { BadInput } from './bad_input.js';
import { rows as sampleRows } from './table_sample.js';
import { rows as captionRows } from './table_caption.js';
import { rows as gradflowRows } from './table_gradflow.js';

/*
 * Every row of the bad-input tables, run as a user runs the command: in a fresh folder, it must exit
 * with the row's code and one line on stderr that matches the row's phrase — no stack trace, no raw
 * Node or V8 message, no hang — and leave every file that was there before as it was.
 */

/** Every regular file and link under dir, with its bytes (links: their target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = path.join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(p, readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

const RAW = /\b(E[A-Z]{3,}|ERR_[A-Z_]+|TypeError|RangeError|ReferenceError|SyntaxError|Cannot read properties|is not a function|undefined|\[object Object\])\b/;

const tables: [string, BadInput[]][] = [['sample', sampleRows], ['caption', captionRows], ['gradflow', gradflowRows]];

for (const [table, rows] of tables) {
  test(`bad input: ${table} (${rows.length} rows)`, async (t) => {
    for (const row of rows) {
      await t.test(row.name ?? row.args.join(' '), async () => {
        const dir = tempDir(`rnnkit-bad-${table}-`);
        await row.setup?.(dir);
        const before = snapshot(dir);
        const r = spawnSync(process.execPath, [CLI, ...row.args], {
          cwd: dir, input: row.stdin ?? '', encoding: 'utf8', timeout: row.timeoutMs ?? 60_000, env: { ...process.env, RNNKIT_DEBUG: '' },
        });
        const where = `rnnkit ${row.args.join(' ')}\n${r.stdout}${r.stderr}`;
        assert.equal(r.error, undefined, `no hang: ${where}`);
        assert.equal(r.status, row.exit, `exit code: ${where}`);
        const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('(run with --help'));
        assert.equal(lines.length, 1, `one line on stderr: ${where}`);
        assert.match(lines[0], row.message, where);
        assert.doesNotMatch(r.stderr, /\n\s+at /, `no stack trace: ${where}`);
        assert.doesNotMatch(lines[0], RAW, `no raw Node/V8 message: ${where}`);
        for (const [file, bytes] of before) {
          assert.ok(existsSync(file), `${file} still exists: ${where}`);
          assert.equal(readFileSync(file).toString('base64'), bytes, `${file} unchanged: ${where}`);
        }
      });
    }
  });
}
