/**
 * The local executor: a pool of concurrent `vmc run` processes sized to the cores. Each point
 * costs the threads its run will use (its `workers`, or what `vmc run` would choose), so a pool
 * of 4 cores runs four 1-thread points or two 2-thread points at once; a point that wants more
 * threads than the pool has runs alone. Points start in index order.
 *
 * Stopping (`stop.requested`, set by the CLI on Ctrl-C/SIGTERM): no new point starts, and each
 * running `vmc run` receives the signal once — the children run in their own process groups, so
 * a Ctrl-C on the terminal reaches only the sweep, which forwards it exactly once (a second
 * signal would make vmc run abort without saving). They save a checkpoint and end; the sweep
 * then records them as interrupted, to be resumed by the next `vmc sweep`.
 */
import type { ChildProcess } from 'node:child_process';
import type { ManifestPoint, PointRecord } from './manifest.js';
import { runPoint } from './point.js';
import type { MeasureSettings } from './spec.js';

export interface PoolStop {
  requested: boolean;
  /** forwards a signal to every running child (set by the pool while it runs) */
  forward?: (signal: NodeJS.Signals) => void;
}

export interface LocalPoolOptions {
  dir: string;
  points: ManifestPoint[];
  /** threads the pool may use */
  cores: number;
  /** threads each point will use */
  cost: (p: ManifestPoint) => number;
  measure: MeasureSettings | null;
  vmc: string[];
  stop: PoolStop;
  onStart?: (p: ManifestPoint) => void;
  onEnd?: (p: ManifestPoint, r: PointRecord) => void;
}

/** Runs the points; resolves when every started point has ended (all of them unless stopped). */
export async function runLocalPool(opts: LocalPoolOptions): Promise<Map<number, PointRecord>> {
  const queue = [...opts.points];
  const running = new Map<number, { cost: number; child: ChildProcess | null; done: Promise<void> }>();
  const results = new Map<number, PointRecord>();
  let used = 0;
  opts.stop.forward = (signal) => {
    for (const r of running.values()) {
      if (r.child?.pid !== undefined && r.child.exitCode === null) {
        try {
          r.child.kill(signal);
        } catch {
          /* already gone */
        }
      }
    }
  };
  const launch = (p: ManifestPoint, cost: number): void => {
    used += cost;
    const slot = { cost, child: null as ChildProcess | null, done: Promise.resolve() };
    running.set(p.index, slot);
    opts.onStart?.(p);
    slot.done = runPoint({
      dir: opts.dir,
      point: p,
      measure: opts.measure,
      vmc: opts.vmc,
      executor: 'local',
      detached: true,
      onChild: (c) => (slot.child = c),
    }).then(
      (r) => {
        results.set(p.index, r);
        opts.onEnd?.(p, r);
      },
      (e: unknown) => {
        const r: PointRecord = { status: 'failed', phase: 'run', host: '', pid: 0, executor: 'local', started_at: new Date().toISOString(), message: `could not run the point: ${(e as Error).message}` };
        results.set(p.index, r);
        opts.onEnd?.(p, r);
      },
    ).finally(() => {
      running.delete(p.index);
      used -= cost;
    });
  };
  try {
    for (;;) {
      while (!opts.stop.requested && queue.length > 0) {
        const cost = Math.min(opts.cores, Math.max(1, opts.cost(queue[0]!)));
        if (running.size > 0 && used + cost > opts.cores) break;
        launch(queue.shift()!, cost);
      }
      if (running.size === 0) break;
      await Promise.race([...running.values()].map((r) => r.done));
    }
  } finally {
    opts.stop.forward = undefined;
  }
  return results;
}
