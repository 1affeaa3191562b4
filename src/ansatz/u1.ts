/**
 * The U(1) (fixed magnetisation) constraint of the autoregressive ansätze, host side: along the
 * path, once the up quota `nUp` is used the remaining sites must be down, and once the down
 * quota N − nUp is used they must be up; the conditional of a forced site is renormalised to
 * probability 1 (design notes, "The physics that must be right"). The one implementation used
 * by sampling and evaluation of rnn, rnn2d, lru (rnn/common.ts) and flow (flow.ts).
 */

/**
 * The bit forced at path position j (0-based) when `ups` up spins were placed before it: 0 (up
 * quota used), 1 (down quota used), or −1 when both outcomes are allowed (always, for nUp null).
 */
export function forcedBit(ups: number, j: number, N: number, nUp: number | null): -1 | 0 | 1 {
  if (nUp === null) return -1;
  if (ups >= nUp) return 0;
  if (j - ups >= N - nUp) return 1;
  return -1;
}
