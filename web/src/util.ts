/* Small helpers of the page. */

/** Saves bytes as a file through the browser's download. */
export function download(bytes: ArrayBuffer, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * About `length` characters from the held-out end of a text (the last 5%, which training never sees),
 * starting at a paragraph and ending at a word: the default probe text of the inside view.
 */
export function passage(text: string, length = 1200): string {
  const from = Math.floor(text.length * 0.95);
  const para = text.indexOf('\n\n', from);
  const start = para >= 0 && para < text.length - 200 ? para + 2 : from;
  const chunk = text.slice(start, start + length);
  const cut = chunk.lastIndexOf(' ');
  return chunk.length === length && cut > length / 2 ? chunk.slice(0, cut) : chunk;
}

const SUPERSCRIPT: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };

/** 0.00032 → "3.2 × 10⁻⁴"; numbers near 1 stay plain. */
export function sci(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  if (v >= 0.01 && v < 1000) return String(+v.toPrecision(2));
  const [m, e] = v.toExponential(1).split('e');
  return `${m} × 10${[...String(Number(e))].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/**
 * Calls fn at most every `ms`, always with the latest state (a trailing call follows the last request);
 * `cancel` drops a call still waiting, for when the state it would show is gone.
 */
export function throttle(fn: () => void, ms: number): (() => void) & { cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  let last = 0;
  const call = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      last = performance.now();
      fn();
    }, Math.max(0, last + ms - performance.now()));
  };
  return Object.assign(call, { cancel: () => { if (timer) clearTimeout(timer); timer = null; } });
}
