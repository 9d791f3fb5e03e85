/*
 * Finds the rnnkit command lines that the README and docs/*.md show, and turns each into an argument
 * list the CLI can parse: shell quoting, line continuations, comments and placeholders resolved.
 */

export interface DocCommand {
  file: string;
  line: number;
  /** As written (continuations joined). */
  text: string;
  /** The arguments after `rnnkit`, placeholders replaced by dummy values. */
  args: string[];
}

/** Dummy values for the placeholders the docs use; each parses for the options it stands for. */
const PLACEHOLDERS: Record<string, string> = {
  N: '2', K: '2', P: '0.5', T: '0.8', R: '0.01', F: '0.1', NORM: '5', LIST: '1,2', STEPS: '2',
  FILE: 'x', DIR: 'x', PATH: 'x', CHECKPOINT: 'x', TEXT: 'x', NAME: 'x',
};

/** Splits a shell command line into words: quotes, backslash escapes; stops at a comment, pipe, `&&`, `;` or redirect. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '', has = false, i = 0;
  const push = () => { if (has) words.push(cur); cur = ''; has = false; };
  while (i < line.length) {
    const c = line[i];
    if (c === "'" || c === '"') {
      const end = line.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unclosed ${c} in: ${line}`);
      cur += line.slice(i + 1, end); has = true; i = end + 1;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[i + 1]; has = true; i += 2;
    } else if (/\s/.test(c)) {
      push(); i++;
    } else if (c === '#' && !has) {
      break;
    } else if (!has && '|;&<>'.includes(c)) {
      break; // a pipe, list or redirect ends the command; inside a word `|` separates alternatives
    } else if (c === ';') {
      break;
    } else {
      cur += c; has = true; i++;
    }
  }
  push();
  return words;
}

/** One word with its placeholders replaced: $VAR/…, <path>, N, rnn|lstm|gru, [optional]. */
export function fill(word: string): string {
  let w = word.replace(/[[\]]/g, '');
  if (/\$\w|\$\{|<[^>]*>|\*/.test(w)) return 'x';
  if (PLACEHOLDERS[w] !== undefined) return PLACEHOLDERS[w];
  if (/^[a-z0-9]+(\|[a-z0-9]+)+$/.test(w)) w = w.split('|')[0];
  return w;
}

/** The arguments after rnnkit in one command line, or null when the line runs no rnnkit command. */
export function rnnkitArgs(text: string): string[] | null {
  const words = shellWords(text);
  let i = 0;
  while (i < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i])) i++; // VAR=value prefixes
  if (words[i] === 'npx') i++;
  if (words[i] !== 'rnnkit') return null;
  const args = words.slice(i + 1).filter((w) => w !== '[' && w !== ']' && w !== '…' && w !== '...').map(fill).filter((w) => w !== '');
  return args.length && /^[a-z-]/.test(args[0]) ? args : null;
}

/** A command named in running text (`rnnkit caption eval`, no options): it must exist, so its --help must work. */
function named(args: string[]): string[] {
  return args.some((a) => a.startsWith('-')) ? args : [...args, '--help'];
}

/** Every rnnkit command in a Markdown file: in shell code blocks (not `text` ones) and in inline code. */
export function docCommands(file: string, markdown: string): DocCommand[] {
  const out: DocCommand[] = [];
  const lines = markdown.split('\n');
  let fence: string | null = null;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const open = /^\s*(```+)(\w*)/.exec(line);
    if (open) {
      fence = fence === null ? (open[2] || 'sh') : null;
      continue;
    }
    if (fence !== null) {
      if (!['sh', 'bash', 'shell', 'console'].includes(fence)) continue;
      let text = line.replace(/^\s*\$ /, '');
      const start = n;
      while (/\\\s*$/.test(text) && n + 1 < lines.length) text = text.replace(/\\\s*$/, ' ') + lines[++n].trim();
      const args = rnnkitArgs(text);
      if (args) out.push({ file, line: start + 1, text: text.trim(), args });
      continue;
    }
    for (const m of line.matchAll(/`((?:npx )?rnnkit [^`]+)`/g)) {
      const args = rnnkitArgs(m[1]);
      if (args) out.push({ file, line: n + 1, text: m[1], args: named(args) });
    }
  }
  return out;
}
