/** nll.svg: training and held-out NLL per epoch, with the entropy of the known state (the lowest expected NLL). */
import { plotLines } from '../run/plot.js';
import type { EpochRecord } from './trainer.js';

export function plotNll(opts: { title: string; history: EpochRecord[]; entropy?: number | null }): Promise<string> {
  const h = opts.history;
  const epoch = h.map((r) => r.epoch);
  const value = (k: 'train_nll' | 'validation_nll' | 'nll_gap') => h.map((r) => r[k] ?? NaN);
  const normalised = h.some((r) => r.train_nll !== null);
  const series = normalised
    ? [
        { name: 'training NLL', x: epoch, y: value('train_nll') },
        ...(h.some((r) => r.validation_nll !== null) ? [{ name: 'held-out NLL', x: epoch, y: value('validation_nll') }] : []),
      ]
    : [{ name: 'held-out − training NLL (log Z unknown)', x: epoch, y: value('nll_gap') }];
  const hlines = normalised && opts.entropy !== undefined && opts.entropy !== null ? [{ name: `entropy H(P₀) ${opts.entropy.toFixed(4)}`, y: opts.entropy }] : [];
  return plotLines({
    title: opts.title,
    xLabel: 'epoch',
    yLabel: normalised ? 'NLL −⟨log P(x)⟩ (nats per configuration)' : 'NLL difference (nats per configuration)',
    series,
    hlines,
    points: h.length <= 60,
    integerX: true,
  });
}
