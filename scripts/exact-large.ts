/**
 * The large exact-diagonalisation runs: N = 24 Heisenberg in the S^z = 0 sector
 * (dimension 2,704,156) on a periodic chain and a periodic 4×6 square lattice, through the
 * shipped model file. Prints the time, energy, gap, Lanczos products and peak memory.
 *
 *   node --import tsx scripts/exact-large.ts [chain|square ...] [--bc open|periodic] [--products]
 *
 * --products first times one H·v computed on the fly and one with the stored sparse matrix
 * (extra work, not part of the ground-state time).
 */
import { chain, square, type Lattice } from '../src/lattice/lattice.js';
import { compileHamiltonian, loadModel } from '../src/hamiltonian/index.js';
import { exactGroundState, Basis, SectorOperator } from '../src/exact/index.js';

const args = process.argv.slice(2);
const bcIdx = args.indexOf('--bc');
const bc = bcIdx >= 0 ? (args[bcIdx + 1] as 'open' | 'periodic') : 'periodic';
const which = args.filter((a, i) => !a.startsWith('--') && (bcIdx < 0 || i !== bcIdx + 1));
const runs: [string, Lattice][] = [];
if (which.length === 0 || which.includes('chain')) runs.push(['chain N=24', chain(24, bc)]);
if (which.length === 0 || which.includes('square')) runs.push(['square 4x6', square(4, 6, bc)]);

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
sampler.unref();
const gib = (b: number): string => `${(b / 2 ** 30).toFixed(2)} GiB`;

for (const [label, lat] of runs) {
  const h = compileHamiltonian(loadModel('heisenberg'), lat);
  if (args.includes('--products')) timeProducts(label, lat);
  const start = performance.now();
  const r = exactGroundState(h, lat, {
    onProgress: (p) =>
      p.restarts >= 0 &&
      console.log(
        `  restart ${p.restarts}: ${p.matvecs} products, ${((performance.now() - start) / 1000).toFixed(1)} s, ` +
          `E0 ≈ ${p.ritz[0].toFixed(12)} (res ${p.residuals[0].toExponential(1)}), E1 ≈ ${p.ritz[1]?.toFixed(10)} (res ${p.residuals[1]?.toExponential(1)})`,
      ),
  });
  const secs = (performance.now() - start) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(
    `${label} ${bc}: E0 = ${r.energy.toFixed(12)}  E0/N = ${r.energyPerSite.toFixed(12)}  (S·S units ${(r.energy / 4).toFixed(12)})  gap = ${r.gap?.toFixed(10)}  ` +
      `method ${r.method}, nUp ${r.nUp}, dim ${r.dimension}, ${secs.toFixed(1)} s wall, CPU so far ${(process.cpuUsage().user / 1e6).toFixed(1)} s, peak RSS ${gib(peakRss)}`,
  );
}

function timeProducts(label: string, lat: Lattice): void {
  const h = compileHamiltonian(loadModel('heisenberg'), lat);
  const t0 = performance.now();
  const op = new SectorOperator(h, new Basis(lat.nSites, lat.nSites / 2));
  const t1 = performance.now();
  const v = new Float64Array(op.dim).fill(1 / Math.sqrt(op.dim));
  const w = new Float64Array(op.dim);
  op.apply(v, w);
  const t2 = performance.now();
  op.store(4 * 2 ** 30);
  const t3 = performance.now();
  op.apply(v, w);
  const t4 = performance.now();
  console.log(
    `${label} ${bc}: sector dim ${op.dim.toLocaleString('en-US')}; basis+diagonal ${((t1 - t0) / 1000).toFixed(2)} s, ` +
      `one H·v on the fly ${((t2 - t1) / 1000).toFixed(2)} s; storing the sparse matrix (${gib(op.storedBytes)}) ${((t3 - t2) / 1000).toFixed(2)} s, ` +
      `then one H·v ${((t4 - t3) / 1000).toFixed(2)} s`,
  );
}
