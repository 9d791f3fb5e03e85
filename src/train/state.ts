import { Tensor } from '../tensor/index.js';

/** A recurrent state as the modules return it: h alone, { h, c }, or a list of such (one per layer). */
export type RecurrentStateLike = Tensor | { h: Tensor; c?: Tensor | null } | RecurrentStateLike[];

/** The tensors a state holds, in order. */
export function stateTensors(s: RecurrentStateLike): Tensor[] {
  if (s instanceof Tensor) return [s];
  if (Array.isArray(s)) return s.flatMap((x) => stateTensors(x));
  const o = s as { h: Tensor; c?: Tensor | null };
  return o.c ? [o.h, o.c] : [o.h];
}

/**
 * The same state cut from the tape: its values carry into the next chunk, its gradient does not.
 * This is the one line that makes backpropagation through time "truncated".
 */
export function detachState<S extends RecurrentStateLike>(s: S): S {
  if (s instanceof Tensor) return s.detach() as S;
  if (Array.isArray(s)) return s.map((x) => detachState(x)) as S;
  const o = s as { h: Tensor; c?: Tensor | null };
  return (o.c ? { h: o.h.detach(), c: o.c.detach() } : { h: o.h.detach() }) as S;
}
