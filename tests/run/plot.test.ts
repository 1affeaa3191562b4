import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plotLines, plotEnergy, plotRelativeError, plotCorrelation, plotEntropy } from '../../src/run/plot.js';

/** Crude well-formedness check: one root <svg>, balanced open/close tags. */
function assertSvg(svg: string): void {
  assert.ok(svg.startsWith('<svg'), 'starts with <svg');
  assert.ok(svg.trimEnd().endsWith('</svg>'), 'ends with </svg>');
  const opens = (svg.match(/<[a-zA-Z][^>]*[^/]>|<[a-zA-Z]>/g) ?? []).length;
  const closes = (svg.match(/<\/[a-zA-Z]+>/g) ?? []).length;
  assert.equal(opens, closes, 'balanced tags');
  assert.ok(!/NaN|Infinity/.test(svg), 'no NaN/Infinity in output');
}

/** Text content of every <text> element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

test('plotLines: axis titles, title, legend names and hline', async () => {
  const svg = await plotLines({
    title: 'Energy test',
    xLabel: 'step',
    yLabel: 'energy (Pauli units)',
    series: [
      { name: 'rnn', x: [0, 1, 2, 3], y: [-1, -2, -2.5, -2.6], yErr: [0.1, 0.1, 0.05, 0.01] },
      { name: 'rbm', x: [0, 1, 2, 3], y: [-1.2, -1.9, -2.3, -2.55] },
    ],
    hlines: [{ name: 'exact', y: -2.7 }],
  });
  assertSvg(svg);
  const t = texts(svg);
  for (const want of ['Energy test', 'step', 'energy (Pauli units)', 'rnn', 'rbm', 'exact']) {
    assert.ok(t.includes(want), `has text "${want}" (got ${JSON.stringify(t.slice(0, 40))})`);
  }
  // The dashed reference rule is drawn.
  assert.ok(/stroke-dasharray="6,4"/.test(svg), 'dashed hline present');
});

test('plotLines: log scale spanning 1e-6..1 has decade ticks', async () => {
  const x = Array.from({ length: 61 }, (_, i) => i);
  const svg = await plotLines({
    title: 'log',
    xLabel: 'step',
    yLabel: 'relative error',
    logY: true,
    series: [{ name: 'a', x, y: x.map((i) => 10 ** (-i / 10)) }],
  });
  assertSvg(svg);
  const t = texts(svg);
  for (const want of ['1e+0', '1e-3', '1e-6']) assert.ok(t.includes(want), `tick ${want} in ${JSON.stringify(t)}`);
});

test('plotLines: NaN, Inf, non-positive-on-log and empty series are dropped, not drawn', async () => {
  const svg = await plotLines({
    title: 'holes',
    xLabel: 'x',
    yLabel: 'y',
    logY: true,
    series: [
      { name: 'holes', x: [0, 1, 2, 3, 4], y: [1, NaN, Infinity, -1, 0.1], yErr: [NaN, 1, 1, 1, 0.5] },
      { name: 'empty', x: [], y: [] },
    ],
    hlines: [{ name: 'bad', y: NaN }],
  });
  assertSvg(svg);
  const empty = await plotLines({ title: 'nothing', xLabel: 'x (m)', yLabel: 'y (s)', series: [] });
  assertSvg(empty);
  assert.ok(texts(empty).includes('no data'));
  assert.ok(texts(empty).includes('x (m)'));
});

test('plotLines: mismatched lengths are a programming error', async () => {
  await assert.rejects(plotLines({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 's', x: [1, 2], y: [1] }] }), /x has 2 values but y has 1/);
});

test('plotLines: long series are thinned to maxPoints', async () => {
  const n = 20000;
  const x = Array.from({ length: n }, (_, i) => i);
  const svg = await plotLines({ title: 'long', xLabel: 'step', yLabel: 'y', series: [{ name: 'a', x, y: x.map((i) => Math.sin(i)) }], maxPoints: 500 });
  assertSvg(svg);
  assert.ok(svg.length < 200_000, `svg is ${svg.length} chars`);
});

test('helpers: energy, relative error, correlation, entropy', async () => {
  const step = [0, 1, 2, 3, 4];
  const e = await plotEnergy({ step, energy: [-5, -7, -8, -8.4, -8.5], energyError: [0.5, 0.3, 0.1, 0.05, 0.02], exactEnergy: -8.55 });
  assertSvg(e);
  assert.ok(texts(e).some((s) => s.startsWith('exact -8.55')));
  const r = await plotRelativeError({
    series: [
      { name: 'rnn', step, relativeError: [1, 1e-2, 1e-3, 1e-5, 1e-6] },
      { name: 'rbm', step, relativeError: [1, 1e-1, 1e-2, 1e-3, 1e-4] },
    ],
  });
  assertSvg(r);
  assert.ok(texts(r).includes('rnn') && texts(r).includes('rbm'));
  const c = await plotCorrelation({ series: [{ name: 'zz', distance: [1, 2, 3], value: [0.5, 0.3, 0.2], error: [0.01, 0.02, 0.03] }] });
  assertSvg(c);
  assert.ok(texts(c).includes('distance r (sites)'));
  const s = await plotEntropy({ series: [{ name: 'S2', cut: [1, 2, 3], entropy: [0.3, 0.5, 0.3], error: [0.01, 0.01, 0.01] }] });
  assertSvg(s);
  assert.ok(texts(s).includes('S₂ (nats)'));
});

test('plotLines: a curve series is a dashed line without points or error bars, in the legend', async () => {
  const svg = await plotLines({
    title: 'E/N against h',
    xLabel: 'h',
    yLabel: 'E/N',
    series: [
      { name: 'VMC', x: [0.5, 1], y: [-1.06, -1.27], yErr: [0.01, 0.01] },
      { name: 'exact', x: [0.5, 0.75, 1], y: [-1.064, -1.14, -1.274], yErr: [5, 5, 5], curve: true },
    ],
    errorStyle: 'bars',
  });
  assertSvg(svg);
  assert.ok(texts(svg).includes('exact'), 'the curve is in the legend');
  assert.ok(/stroke-dasharray="6,3"/.test(svg), 'dashed curve drawn');
  // error bars of the VMC series only (two rules), no points on the curve (the two of the VMC series)
  assert.equal((svg.match(/aria-roledescription="rule mark"/g) ?? []).length, 2);
  assert.equal((svg.match(/aria-roledescription="point"/g) ?? []).length, 2);
});
