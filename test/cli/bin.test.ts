import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, readFileSync } from 'node:fs';
import { CLI } from '../helpers/cli.js';

test('the built rnnkit command is executable, so npx rnnkit runs it', () => {
  assert.ok((statSync(CLI).mode & 0o111) !== 0, `${CLI} is not executable`);
  assert.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node'));
});
