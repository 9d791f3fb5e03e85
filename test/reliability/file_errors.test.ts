import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync, existsSync, readdirSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { fileError, ensureWritableDir, removeAtomic } from '../../src/io/fs.js';
import { lockRunDir, cleanRunDir, LOCK_FILE } from '../../src/io/checkpoint_files.js';
import { FileError } from '../../src/errors.js';

const errno = (code: string) => Object.assign(new Error(`${code}: raw message, open '/x'`), { code });

test('every file-system error becomes one FileError sentence naming the path and what to do', () => {
  for (const code of ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'ENOSPC', 'EDQUOT', 'EFBIG', 'EEXIST', 'ENOTEMPTY', 'ENAMETOOLONG', 'ELOOP', 'ENOENT', 'EMFILE', 'EIO', 'EWHATEVER']) {
    const e = fileError(errno(code), 'runs/step-000010', 'write the checkpoint');
    assert.ok(e instanceof FileError, code);
    assert.equal(e.code, code);
    assert.match(e.message, /^cannot write the checkpoint 'runs\/step-000010': [^\n]+$/, code);
    assert.doesNotMatch(e.message, /E[A-Z]+:|raw message/, `${code}: no raw Node text`);
  }
  const plain = new TypeError('a bug');
  assert.equal(fileError(plain, 'x', 'y'), plain, 'anything else passes through');
});

test('ensureWritableDir creates the folder, and refuses kernel file systems and files in the way', async () => {
  const dir = tempDir();
  const created = await ensureWritableDir(path.join(dir, 'a', 'b'), 'run folder');
  assert.deepEqual(created, [path.join(dir, 'a'), path.join(dir, 'a', 'b')]);
  assert.deepEqual(readdirSync(path.join(dir, 'a', 'b')), [], 'the write test leaves nothing');
  writeFileSync(path.join(dir, 'f'), 'mine');
  for (const [p, msg] of [
    ['/proc/rnnkit', /\/proc is a kernel file system/], ['/sys/x/y', /\/sys is a kernel file system/], ['', /empty path/],
    [path.join(dir, 'f'), /it is a file, not a folder/], [path.join(dir, 'f', 'x', 'y'), /'.*\/f' is a file, not a folder/],
  ] as const) {
    await assert.rejects(ensureWritableDir(p, 'run folder'), (e: unknown) => e instanceof FileError && msg.test(e.message), p);
  }
  symlinkSync('loop', path.join(dir, 'loop'));
  await assert.rejects(ensureWritableDir(path.join(dir, 'loop', 'x')), (e: unknown) => e instanceof FileError && /loop of symbolic links/.test(e.message));
});

test('removeAtomic renames away, then deletes; cleanRunDir removes only leftovers', async () => {
  const dir = tempDir();
  mkdirSync(path.join(dir, 'step-000001'));
  writeFileSync(path.join(dir, 'step-000001', 'model.safetensors'), 'x');
  await removeAtomic(path.join(dir, 'step-000001'));
  await removeAtomic(path.join(dir, 'step-000002')); // already gone: fine
  assert.deepEqual(readdirSync(dir), []);
  for (const n of ['.step-000002.tmp-1-a', '.latest.tmp-1-a', '.trash-step-000001-1-a', 'step-000003', 'notes.txt', '.lock.tmp-999999999-a']) writeFileSync(path.join(dir, n), '');
  assert.equal(await cleanRunDir(dir), 4);
  assert.deepEqual(readdirSync(dir).sort(), ['notes.txt', 'step-000003']);
});

test('a run folder lock: one holder, released for the next, the live holder named', () => {
  const dir = tempDir();
  const a = lockRunDir(dir);
  assert.equal(a.tookOver, null);
  assert.throws(() => lockRunDir(dir), (e: unknown) => e instanceof FileError && new RegExp(`in use by another training \\(pid ${process.pid}, started `).test(e.message));
  a.release();
  assert.ok(!existsSync(path.join(dir, LOCK_FILE)));
  const b = lockRunDir(dir);
  b.release();
  assert.deepEqual(readdirSync(dir), [], 'no temporary lock files stay');
});
