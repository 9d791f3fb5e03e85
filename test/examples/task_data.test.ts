import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/cli.js';
import { loadCo2 } from '../../examples/tasks/co2_data.js';
import { loadNames } from '../../examples/tasks/names_data.js';
import { loadSpam, tokenizeMail, MAX_TOKENS } from '../../examples/tasks/spam_data.js';
import { fnv1a, isTest, epochOrder, batches } from '../../examples/tasks/split.js';

// The readers print their skip counts on stderr; the tests read the counts they return.

test('the CO2 reader skips malformed rows, counts them, and starts after the last gap', () => {
  const dir = tempDir();
  const rows = ['Date,CO2,adjusted CO2'];
  for (let k = 0; k < 150; k++) {
    const y = 1990 + Math.floor(k / 12), m = (k % 12) + 1;
    rows.push(`${y}-${String(m).padStart(2, '0')}-01,${(350 + k / 10).toFixed(2)},0`);
  }
  rows.splice(5, 0, '1990-13-01,351.00,0', 'not,a,row', '1990-06-01,NaN,0', '1990-07-01,-3,0', '1990-02-01,350.10,0');
  rows.splice(20, 1); // a month missing: the series starts after it
  const file = path.join(dir, 'co2.csv');
  writeFileSync(file, rows.join('\n'));
  const s = loadCo2(file);
  assert.equal(s.skipped['malformed rows'], 5);
  assert.ok(s.values.every((v) => Number.isFinite(v) && v > 300));
  assert.equal(s.values.length, 150 - 15);
});

test('the names reader skips lines that are not names, and drops names found in both lists', () => {
  const dir = tempDir();
  const female = ['Anna', 'Beth', 'Cara', 'Dana', 'Ella', 'Fay', 'Gwen', 'Hope', 'Iris', 'Jean', 'Anne-Marie', 'x9', '<b>', 'a'.repeat(40), 'anna'];
  const male = ['Adam', 'Ben', 'Carl', 'Dan', 'Eli', 'Finn', 'Gus', 'Hal', 'Ivan', 'jean', "D'Arcy", '', '12'];
  writeFileSync(path.join(dir, 'f.txt'), female.join('\n'));
  writeFileSync(path.join(dir, 'm.txt'), male.join('\r\n'));
  const { names, inBoth, skipped } = loadNames([path.join(dir, 'f.txt'), path.join(dir, 'm.txt')]);
  assert.equal(skipped, 4);
  assert.equal(inBoth, 1);
  assert.ok(!names.some((n) => n.name === 'jean'));
  assert.deepEqual(names.filter((n) => n.label === 0).map((n) => n.name).slice(0, 2), ['anna', 'anne-marie']);
  assert.ok(names.some((n) => n.name === "d'arcy" && n.label === 1));
});

test('the spam reader skips bad file names, unreadable and malformed files and empty messages, and counts each', () => {
  const dir = tempDir();
  for (const g of ['spam-1', 'easy-ham-1']) mkdirSync(path.join(dir, g));
  const list: unknown[] = [];
  for (let i = 0; i < 12; i++) {
    const g = i % 2 ? 'spam-1' : 'easy-ham-1';
    writeFileSync(path.join(dir, g, `0000${i}.ab.json`), JSON.stringify({ text: `Subject: offer ${i}\n\nbuy now $ ${i}!` }));
    list.push(`${g}/0000${i}.ab.txt`);
  }
  writeFileSync(path.join(dir, 'spam-1', 'dead.json'), '{not json');
  writeFileSync(path.join(dir, 'spam-1', 'beef.json'), JSON.stringify({ text: 42 }));
  writeFileSync(path.join(dir, 'spam-1', 'cafe.json'), JSON.stringify({ text: 'Subject: \n\n--- ... ---' }));
  list.push('../../etc/passwd', 7, 'spam-1/fade.txt', 'spam-1/dead.txt', 'spam-1/beef.txt', 'spam-1/cafe.txt');
  writeFileSync(path.join(dir, 'file_list.json'), JSON.stringify(list));
  const { messages, skipped } = loadSpam(dir);
  assert.deepEqual(skipped, { 'bad names': 2, 'unreadable files': 1, 'malformed messages': 2, 'empty messages': 1 });
  assert.equal(messages.length, 12);
  assert.deepEqual(messages[1], { key: 'spam-1/00001.ab', label: 1, tokens: ['offer', '1', 'buy', 'now', '$', '1', '!'] });
});

test('a message is its subject and body, lower-cased words, and the examples cut it to MAX_TOKENS', () => {
  const raw = 'Received: from mail.example.com\r\nSubject: Don\'t MISS this\r\nX-Spam: yes\r\n\r\nHello <b>World</b>, 100% free!';
  assert.deepEqual(tokenizeMail(raw), ["don't", 'miss', 'this', 'hello', 'b', 'world', 'b', '100', 'free', '!']);
  assert.equal(MAX_TOKENS, 200);
});

test('the split and the order are functions of the items (the PyTorch twins compute the same)', () => {
  assert.equal(fnv1a(''), 0x811c9dc5);
  assert.equal(fnv1a('a'), 0xe40c292c); // FNV-1a's published test vector
  const keys = Array.from({ length: 1000 }, (_, i) => `item${i}`);
  const held = keys.filter(isTest).length;
  assert.ok(held > 150 && held < 250, `${held} of 1000 held out`);
  const order = epochOrder(keys, 3);
  assert.deepEqual([...order].sort((a, b) => a - b), keys.map((_, i) => i));
  assert.notDeepEqual(order, epochOrder(keys, 4));
  const cut = batches(order, 32);
  assert.deepEqual(cut.map((b) => b.length), [...Array(31).fill(32), 8]);
  assert.deepEqual(cut.flat(), order);
});
