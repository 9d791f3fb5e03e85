import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPackages, runTaskExample } from '../helpers/task_example.js';

const missing = missingPackages(['vega-datasets']);

type Score = { rmse: number; mae: number };

test('examples/co2.ts, quick: the LSTM forecasts CO2 better than the last value and the seasonal value', { skip: missing.length > 0 && `not installed: ${missing.join(', ')}` }, () => {
  const { result, out } = runTaskExample('co2');
  assert.equal(result.task, 'co2', out);
  const lstm = result.lstm as Score, last = result.lastValue as Score, seasonal = result.seasonal as Score;
  assert.ok(lstm.rmse < last.rmse && lstm.mae < last.mae, out);
  assert.ok(lstm.rmse < seasonal.rmse && lstm.mae < seasonal.mae, out);
});
