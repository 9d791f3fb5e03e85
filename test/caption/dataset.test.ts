import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCaptions, parseSplit, parseImageList, joinDataset } from '../../src/caption/index.js';

test('captions: both the tab-separated layout and Flickr8k.token.txt\'s image#index layout, grouped by image', () => {
  const m = parseCaptions('a.jpg\t0\tA dog .\na.jpg\t1\tTwo dogs\nb.jpg#0\tA cat .\n', 'caps.tsv');
  assert.deepEqual([...m], [['a.jpg', ['A dog .', 'Two dogs']], ['b.jpg', ['A cat .']]]);
});

test('a malformed line is named by file and line number', () => {
  assert.throws(() => parseCaptions('a.jpg\t0\tA dog .\n\na.jpg 1 no tabs here\n', 'caps.tsv'), /caps\.tsv line 3 is malformed: expected "image<TAB>index<TAB>caption", got "a\.jpg 1 no tabs here"/);
  assert.throws(() => parseCaptions('a.jpg\t0\t . , \n', 'caps.tsv'), /caps\.tsv line 1 has an empty caption/);
  assert.throws(() => parseSplit('a.jpg\ttrain\nb.jpg\n', 'split.tsv'), /split\.tsv line 2 is malformed/);
  assert.throws(() => parseImageList('\n\n', 'images.txt'), /images\.txt lists no images/);
});

test('joining: rows by image name, train and val apart, and a feature matrix that does not fit says both sizes', () => {
  const names = ['a.jpg', 'b.jpg', 'c.jpg'];
  const caps = parseCaptions('a.jpg\t0\tA dog .\nb.jpg\t0\tA cat .\nc.jpg\t0\tA bird\n', 'c');
  const split = parseSplit('a.jpg\ttrain\nb.jpg\tval\nc.jpg\textra\n', 's');
  const d = joinDataset(new Float32Array(6), names, caps, split);
  assert.equal(d.dim, 2);
  assert.deepEqual(d.train, [{ row: 0, captions: [['a', 'dog']] }]);
  assert.deepEqual(d.val, [{ row: 1, name: 'b.jpg', captions: [['a', 'cat']] }]);
  assert.throws(() => joinDataset(new Float32Array(7), names, caps, split), /7 values, which is not a whole number of rows for 3 images/);
  assert.throws(() => joinDataset(new Float32Array(6), names, caps, parseSplit('a.jpg\ttrain\nz.jpg\tval\n', 's')), /z\.jpg \(no feature row\)/);
});
