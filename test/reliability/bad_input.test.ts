import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, lstatSync, readlinkSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLI, tempDir } from '../helpers/cli.js';
import type { BadInput } from './bad_input.js';

/*
 * Runs every row of every table_*.ts beside this file: rnnkit must exit with the row's code, print
 * exactly one line on stderr that matches its message, show no stack trace and no raw Node or V8
 * error, finish in time, and leave every file that was there before untouched.
 */
const HERE = path.dirname(new URL(import.meta.url).pathname);
const RAW = /(\bE[A-Z]{2,}:|TypeError|RangeError|ReferenceError|SyntaxError|Cannot read properties|is not a function|\[object Object\])/;

/** Every file and link under dir with a hash of its contents (or target). */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out.set(p, `link:${readlinkSync(p)}`);
      else if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

function run(row: BadInput, cwd: string): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...row.args], { cwd, env: { ...process.env, RNNKIT_DEBUG: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', timedOut = false;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.stdin.on('error', () => {});
    child.stdin.end(row.stdin ?? '');
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, row.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

async function check(row: BadInput): Promise<void> {
  const dir = tempDir('rnnkit-bad-');
  try {
    await row.setup?.(dir);
    const before = snapshot(dir);
    const r = await run(row, dir);
    const what = `rnnkit ${row.args.map((a) => JSON.stringify(a)).join(' ')}`;
    assert.ok(!r.timedOut, `${what}: no answer within ${row.timeoutMs ?? 60_000} ms`);
    assert.equal(r.code, row.exit, `${what}: exit code\n${r.stderr}`);
    // the argument parser's own trailers ("(Did you mean --hidden?)", "(run with --help for usage)") are hints, not errors
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !/^\((run with --help|Did you mean)/.test(l));
    assert.equal(lines.length, 1, `${what}: stderr must be one line, got:\n${r.stderr}`);
    assert.match(lines[0], row.message, what);
    assert.ok(!/\n\s+at /.test(r.stderr) && !/^\s+at /m.test(r.stdout), `${what}: stack trace\n${r.stderr}`);
    assert.ok(!RAW.test(r.stderr), `${what}: a raw Node or V8 message\n${r.stderr}`);
    const after = snapshot(dir);
    for (const [file, hash] of before) assert.equal(after.get(file), hash, `${what}: ${path.relative(dir, file)} changed or went`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const tables = readdirSync(HERE).filter((f) => /^table_.*\.ts$/.test(f)).sort();
for (const table of tables) {
  const { rows } = (await import(pathToFileURL(path.join(HERE, table)).href)) as { rows: BadInput[] };
  test(`${table}: ${rows.length} bad command lines each get one clear line`, async (t) => {
    // two at a time: the machine's cores
    let next = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++];
        try {
          await check(row);
        } catch (e) {
          failures.push(`${row.name ?? row.args.join(' ')}: ${(e as Error).message}`);
        }
      }
    };
    await Promise.all([worker(), worker()]);
    t.diagnostic(`${rows.length - failures.length} of ${rows.length} rows passed`);
    assert.deepEqual(failures, [], `${failures.length} rows failed:\n${failures.join('\n\n')}`);
  });
}
