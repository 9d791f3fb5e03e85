/**
 * The recurrent cells, in one place: their names, their gate counts and names, and the integer codes the
 * WebAssembly kernels know them by (asm/codes.ts, which a test checks against this table). The
 * equations of each cell are in reference/{rnn,lstm,gru}.ts.
 */

/**
 * A cell as the kernels and layers run it, PyTorch's `mode`: the vanilla cell with tanh or relu, the
 * LSTM or the GRU. Configurations name the cell as 'rnn' | 'lstm' | 'gru' with the vanilla cell's
 * nonlinearity apart (`cellKind` joins the two).
 */
export type CellKind = 'rnn_tanh' | 'rnn_relu' | 'lstm' | 'gru';

/** The vanilla cell's activation. */
export type Nonlinearity = 'tanh' | 'relu';

/** What the code base knows of one cell kind. */
export interface CellInfo {
  /** Gate blocks per hidden unit: the rows of W_ih and W_hh are gates · H. */
  readonly gates: number;
  /** The WebAssembly kernels' integer code for the cell. */
  readonly code: number;
  /** The gate blocks' names in PyTorch's order (`i f g o`, `r z n`); none for the vanilla cell. */
  readonly gateNames: readonly string[];
}

/** Per cell: its gate blocks, their names and the kernels' code. */
export const CELLS: Readonly<Record<CellKind, CellInfo>> = {
  rnn_tanh: { gates: 1, code: 0, gateNames: [] },
  rnn_relu: { gates: 1, code: 1, gateNames: [] },
  lstm: { gates: 4, code: 2, gateNames: ['i', 'f', 'g', 'o'] },
  gru: { gates: 3, code: 3, gateNames: ['r', 'z', 'n'] },
};

/** The gates a configured cell exposes, in PyTorch's block order (the vanilla RNN has none). */
export const CELL_GATES: Readonly<Record<CellName, readonly string[]>> = {
  rnn: CELLS.rnn_tanh.gateNames,
  lstm: CELLS.lstm.gateNames,
  gru: CELLS.gru.gateNames,
};

/** Rows of W_ih / W_hh per hidden unit: 4 gates for the LSTM, 3 for the GRU, 1 for the vanilla RNN. */
export function gateCount(kind: CellKind): number {
  return CELLS[kind].gates;
}

/** The cell a configuration names: 'rnn' with its nonlinearity (tanh unless given), 'lstm' or 'gru'. */
export function cellKind(cell: CellName, nonlinearity: Nonlinearity = 'tanh'): CellKind {
  if (cell === 'lstm' || cell === 'gru') return cell;
  if (cell !== 'rnn') throw new Error(`cell must be rnn, lstm or gru, got '${String(cell)}'`);
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`RNN nonlinearity must be 'tanh' or 'relu', got '${String(nonlinearity)}'`);
  return nonlinearity === 'relu' ? 'rnn_relu' : 'rnn_tanh';
}

/** The name a configuration gives a cell kind ('rnn' for both vanilla kinds). */
export type CellName = 'rnn' | 'lstm' | 'gru';
