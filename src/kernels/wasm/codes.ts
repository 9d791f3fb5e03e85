import type { Activation } from '../backend.js';
import { CELLS, type CellKind } from '../cells.js';

/*
 * The integer codes the kernels take for a cell and an activation. asm/codes.ts declares the same
 * numbers on the AssemblyScript side; test/kernels/wasm_codes.test.ts holds the two to each other.
 */

/** A cell's code (kernels/cells.ts's table). */
export function cellCode(kind: CellKind): number {
  return CELLS[kind].code;
}

export const ACTIVATION_CODE: Readonly<Record<Activation, number>> = { tanh: 0, sigmoid: 1, relu: 2, identity: 3 };
