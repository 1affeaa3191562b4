/**
 * `vmc sample`: configurations drawn from a trained state, with log|ψ| and arg ψ, as CSV or JSON
 * lines, for use elsewhere.
 *
 * - CSV: header `config,log_abs_psi,phase`; `config` is a bit string, character s = bit x_s of
 *   site s (σ^z_s = 2x_s − 1; square lattices: s = x + Lx·y).
 * - JSON lines: `{"config":[0,1,…],"log_abs_psi":…,"phase":…}`, one sample a line.
 * log|ψ| is normalised (Σ|ψ|² = 1) for autoregressive ansätze (rnn, flow) and unnormalised for
 * the RBM; the phase is wrapped to (−π, π] and includes any sign rule (a minus sign is π).
 * Rows come in the sampler's order: independent draws, or Markov chains one after another.
 */
import { initBackend, type BackendChoice } from '../backend.js';
import { openRun } from '../run/open-run.js';
import { readRunConfig } from '../run/runner.js';

export type SampleFormat = 'csv' | 'jsonl';

export interface SampleFileResult {
  text: string;
  count: number;
  nSites: number;
  sampler: string;
  normalized: boolean;
}

export function wrapPhase(phi: number): number {
  const t = phi - 2 * Math.PI * Math.ceil((phi - Math.PI) / (2 * Math.PI));
  return t <= -Math.PI ? t + 2 * Math.PI : t;
}

export function formatSamples(configs: Uint8Array, count: number, nSites: number, logAmp: ArrayLike<number>, phase: ArrayLike<number>, format: SampleFormat): string {
  const lines: string[] = format === 'csv' ? ['config,log_abs_psi,phase'] : [];
  for (let b = 0; b < count; b++) {
    const row = configs.subarray(b * nSites, (b + 1) * nSites);
    const la = logAmp[b];
    const ph = wrapPhase(phase[b]);
    if (format === 'csv') lines.push(`${row.join('')},${la},${ph}`);
    else lines.push(JSON.stringify({ config: Array.from(row), log_abs_psi: la, phase: ph }));
  }
  return lines.join('\n') + '\n';
}

export async function sampleRun(runDir: string, opts: { count: number; seed: number; format: SampleFormat; backend?: BackendChoice }): Promise<SampleFileResult> {
  await initBackend(opts.backend ?? readRunConfig(runDir).backend);
  const run = openRun(runDir);
  try {
    const sampler = run.sampler(`${opts.seed}:sample-file`);
    const N = run.parts.lattice.nSites;
    const configs = new Uint8Array(opts.count * N);
    let done = 0;
    while (done < opts.count) {
      const b = sampler.sample(Math.min(2000, opts.count - done));
      const take = Math.min(b.count, opts.count - done);
      configs.set(b.configs.subarray(0, take * N), done * N);
      done += take;
    }
    const { logAmp, phase } = run.wf.evaluate(configs, opts.count);
    return {
      text: formatSamples(configs, opts.count, N, logAmp, phase, opts.format),
      count: opts.count,
      nSites: N,
      sampler: sampler.kind,
      normalized: run.wf.normalized,
    };
  } finally {
    run.wf.dispose();
  }
}
