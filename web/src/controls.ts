/* The settings on the left: read them, show a loaded model's, and lock them while a run holds them. */
import type { Cell, ModelInfo, TrainSettings } from './protocol';

const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const numberFields = ['hidden', 'layers', 'seq', 'batch', 'lr', 'clip'] as const;

export function readSettings(): TrainSettings {
  const cell = (document.querySelector<HTMLInputElement>('input[name="cell"]:checked')?.value ?? 'lstm') as Cell;
  const n = (id: (typeof numberFields)[number]) => Number(byId<HTMLInputElement | HTMLSelectElement>(id).value);
  const s: TrainSettings = { cell, hidden: n('hidden'), layers: n('layers'), seq: n('seq'), batch: n('batch'), lr: n('lr'), clip: n('clip') };
  if (!(s.lr > 0 && s.lr < 10)) throw new Error('the learning rate must be a number between 0 and 10 (try 0.002)');
  if (!(s.clip >= 0)) throw new Error('the clip norm must be 0 (off) or more (try 5)');
  return s;
}

/** Shows a loaded model's shape in the controls, adding an option when the file has a size the menu lacks. */
export function showModel(info: ModelInfo): void {
  const cell = document.querySelector<HTMLInputElement>(`input[name="cell"][value="${info.cell}"]`);
  if (cell) cell.checked = true;
  for (const [id, v] of [['hidden', info.hidden], ['layers', info.layers]] as const) {
    const sel = byId<HTMLSelectElement>(id);
    if (![...sel.options].some((o) => Number(o.value) === v)) {
      sel.add(new Option(String(v)));
      [...sel.options].sort((a, b) => Number(a.value) - Number(b.value)).forEach((o) => sel.add(o));
    }
    sel.value = String(v);
  }
}

export function lockSettings(locked: boolean): void {
  for (const el of document.querySelectorAll<HTMLInputElement>('input[name="cell"], input[name="text"], #own-text, #text-file')) el.disabled = locked;
  for (const id of numberFields) byId<HTMLInputElement>(id).disabled = locked;
}
