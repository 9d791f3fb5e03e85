/** A short fingerprint of a text (FNV-1a over its UTF-16 code units), so a resumed run can tell it is fed the same corpus. */
export function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return `${text.length}:${h.toString(16).padStart(8, '0')}`;
}

/** Splits ids into a training part and the last `fraction` for validation. */
export function splitIds(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${fraction}`);
  const nVal = Math.floor(ids.length * fraction);
  return { train: ids.subarray(0, ids.length - nVal), val: ids.subarray(ids.length - nVal) };
}
