/**
 * Sweeps end to end, through the real CLI, on tiny runs (TFIM chain N = 4, H = 4).
 *
 * Local: a killed vmc run is marked failed and the others go on; Ctrl-C stops launching and the
 * running point saves a checkpoint; re-running resumes it and skips the finished ones;
 * --retry-failed resumes the killed one from its checkpoint.
 *
 * SLURM: a single-node cluster started here (munged, slurmctld, slurmd with a slurm.conf naming
 * localhost as controller and node, in a temporary directory), the same 4-point sweep through
 * --executor slurm, whose collected table must equal the local one number for number (the same
 * vmc run invocations and seeds; resumed runs reproduce uninterrupted ones). The daemons are
 * stopped after the test whatever happens. Where SLURM is not installed or cannot start, the
 * test is skipped with the reason (never passed).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { collectSweep, sweepStatusReport } from '../../src/sweep/sweep.js';
import { cliArgs } from '../cli-command.js';

const root = mkdtempSync(join(tmpdir(), 'vmc-sweep-e2e-'));
after(() => rmSync(root, { recursive: true, force: true }));
const sweepFile = join(root, 'tiny.json');
// points: 000 (seed 1, h 0.5, 3 steps), 001 (seed 1, h 1, STEPS steps), 002, 003 (seed 2)
const STEPS = 60;
writeFileSync(
  sweepFile,
  JSON.stringify({
    description: 'tiny sweep for the tests',
    base: { model: 'tfim', n: 4, hidden: 4, samples: 32, 'eval-samples': 64, 'checkpoint-every': 2, workers: 1, lr: 0.01 },
    grid: { seed: [1, 2] },
    zip: { 'param.h': [0.5, 1.0], steps: [3, STEPS] },
    slurm: { sbatch: ['--comment=vmc-sweep-test'] },
  }),
);
const LONG = [1, 3];
const names = ['000-seed=1_h=0.5_steps=3', `001-seed=1_h=1_steps=${STEPS}`, '002-seed=2_h=0.5_steps=3', `003-seed=2_h=1_steps=${STEPS}`];

interface Exit {
  code: number | null;
  out: string;
  err: string;
}

function vmc(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<Exit> } {
  const child = spawn(process.execPath, [...cliArgs(), ...args], { env });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const guard = setTimeout(() => child.kill('SIGKILL'), 240_000);
  const done = new Promise<Exit>((resolve) => child.on('close', (code) => (clearTimeout(guard), resolve({ code, out, err }))));
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs = 120_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function json(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The pid of the vmc run of a point while it trains past its first checkpoint. */
function trainingPid(dir: string, name: string): number | null {
  const recPath = join(dir, 'points', `${name}.status.json`);
  if (!existsSync(recPath) || !existsSync(join(dir, name, 'checkpoint.json'))) return null;
  try {
    const r = json(recPath);
    return r.status === 'running' && r.phase === 'run' && !existsSync(join(dir, name, 'summary.json')) ? r.pid : null;
  } catch {
    return null;
  }
}

/** sweep.csv without the wall-time column (the only one that differs between two runs of the same sweep). */
function tableWithoutWallTime(dir: string): string {
  const lines = readFileSync(join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
  const wall = lines[0]!.split(',').indexOf('wall_seconds');
  return lines.map((l) => l.split(',').filter((_, i) => i !== wall).join(',')).join('\n');
}

function metricsSteps(runDir: string): number[] {
  return readFileSync(join(runDir, 'metrics.csv'), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(',')[0]));
}

const localDir = join(root, 'local');
let localTable: string | null = null;

test('local pool: a killed point fails alone, Ctrl-C leaves the sweep resumable, re-runs resume and retry', { timeout: 400_000 }, async () => {
  // 1. one core: points run one after another; kill point 001's vmc run, Ctrl-C during point 003
  const first = vmc(['sweep', sweepFile, '--out', localDir, '--jobs', '1']);
  const pid1 = await until('point 001 to train', () => trainingPid(localDir, names[1]!));
  process.kill(pid1, 'SIGKILL');
  await until('point 003 to train', () => trainingPid(localDir, names[3]!));
  first.child.kill('SIGINT');
  const r1 = await first.done;
  assert.equal(r1.code, 130, `exit code\n${r1.out}\n${r1.err}`);
  assert.match(r1.err, /SIGINT: no new points start; running points save a checkpoint/);
  const m1 = json(join(localDir, 'sweep.json'));
  assert.equal(m1.format, 'vmc-sweep/1');
  assert.deepEqual(m1.varying, ['seed', 'param.h', 'steps']);
  assert.deepEqual(m1.points.map((p: any) => p.name), names);
  assert.deepEqual(m1.points.map((p: any) => p.status), ['completed', 'failed', 'completed', 'interrupted']);
  assert.equal(m1.points[1].message, 'killed by SIGKILL');
  assert.equal(m1.points[3].message, 'stopped by SIGINT');
  assert.deepEqual(m1.points[3].settings, { model: 'tfim', n: 4, hidden: 4, samples: 32, 'eval-samples': 64, 'checkpoint-every': 2, workers: 1, lr: 0.01, seed: 2, steps: STEPS, param: { h: 1 } });
  assert.equal(json(join(localDir, names[3]!, 'summary.json')).status, 'interrupted');
  assert.ok(!existsSync(join(localDir, 'sweep.lock')), 'the lock is released');
  const finishedAt = statSync(join(localDir, names[0]!, 'summary.json')).mtimeMs;

  // 2. again with --retry-failed: finished points are skipped, the interrupted and the killed one
  //    resume from their checkpoints (without --retry-failed the killed one would stay failed:
  //    tests/sweep/points.test.ts)
  const r2 = await vmc(['sweep', sweepFile, '--out', localDir, '--retry-failed']).done;
  assert.equal(r2.code, 0, `exit code\n${r2.out}\n${r2.err}`);
  assert.match(r2.out, /4 points; 2 to run/);
  assert.equal(statSync(join(localDir, names[0]!, 'summary.json')).mtimeMs, finishedAt, 'a finished point is not run again');
  for (const i of LONG) {
    const log = readFileSync(join(localDir, 'points', `${names[i]}.log`), 'utf8');
    assert.equal(log.match(/^=== .*: vmc run --resume /gm)?.length, 1, `${names[i]} resumed once:\n${log}`);
    assert.deepEqual(metricsSteps(join(localDir, names[i]!)), Array.from({ length: STEPS }, (_, k) => k + 1), `${names[i]}: every step once`);
  }

  const m = json(join(localDir, 'sweep.json'));
  assert.deepEqual(m.counts, { completed: 4 });
  for (const p of m.points) {
    assert.equal(p.status, 'completed');
    assert.equal(typeof p.result.energy, 'number');
    assert.equal(p.result.exact_method, 'free-fermion');
  }
  assert.equal(m.aggregated.length, 2);
  assert.deepEqual(m.aggregated.map((a: any) => [a.values['param.h'], a.seeds, a.completed]), [[0.5, [1, 2], 2], [1, [1, 2], 2]]);
  for (const f of ['sweep.md', 'sweep.csv', 'sweep-seeds.csv', 'sweep-energy.svg', 'sweep-relative-error.svg']) assert.ok(existsSync(join(localDir, f)), f);
  assert.match(readFileSync(join(localDir, 'sweep-energy.svg'), 'utf8'), /exact/);
  const csv = readFileSync(join(localDir, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.equal(csv.length, 5);
  assert.equal(csv[0], 'index,name,seed,param.h,steps,status,energy,energy_error,energy_per_site,exact_energy,exact_method,relative_error,variance,v_score,steps_done,wall_seconds,message');
  localTable = tableWithoutWallTime(localDir);
  // what vmc sweep --collect does, through the library: the same table again
  const again = await collectSweep(localDir);
  assert.equal(again.status, 'completed');
  assert.equal(tableWithoutWallTime(localDir), localTable);
});

// --- a single-node SLURM cluster ------------------------------------------------------------------

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Cluster {
  env: NodeJS.ProcessEnv;
  daemons: ChildProcess[];
  dir: string;
}

function tail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Starts munged, slurmctld and slurmd; returns the cluster, or the reason it could not start. */
async function startCluster(): Promise<Cluster | string> {
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'sinfo'].filter((c) => !which(c));
  if (missing.length) return `SLURM is not installed here (missing ${missing.join(', ')}; Debian packages slurm-wlm and munge, which .ci/run installs)`;
  const dir = mkdtempSync(join(tmpdir(), 'vmc-slurm-'));
  chmodSync(dir, 0o755);
  for (const d of ['munge', 'state', 'spool']) mkdirSync(join(dir, d), { mode: 0o755 });
  const key = join(dir, 'munge', 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const socket = join(dir, 'munge', 'munge.sock');
  const user = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim() || 'root';
  const [ctlPort, dPort] = [await freePort(), await freePort()];
  const cpus = 2;
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=vmctest',
      'SlurmctldHost=localhost(127.0.0.1)',
      `SlurmUser=${user}`,
      `SlurmdUser=${user}`,
      'AuthType=auth/munge',
      'CredType=cred/munge',
      `AuthInfo=socket=${socket}`,
      `SlurmctldPort=${ctlPort}`,
      `SlurmdPort=${dPort}`,
      `StateSaveLocation=${join(dir, 'state')}`,
      `SlurmdSpoolDir=${join(dir, 'spool')}`,
      `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`,
      `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
      `SlurmctldLogFile=${join(dir, 'slurmctld.log')}`,
      `SlurmdLogFile=${join(dir, 'slurmd.log')}`,
      'ProctrackType=proctrack/pgid',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU_Memory',
      'SchedulerType=sched/backfill',
      'MpiDefault=none',
      'ReturnToService=2',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      'MinJobAge=300',
      `NodeName=localhost NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=2000 State=UNKNOWN`,
      'PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP',
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf };
  const daemons: ChildProcess[] = [];
  const cluster: Cluster = { env, daemons, dir };
  const start = (cmd: string, args: string[]): void => {
    const child = spawn(cmd, args, { env, stdio: 'ignore' });
    child.on('error', () => {});
    daemons.push(child);
  };
  start('munged', ['-F', '--force', `--key-file=${key}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munge', 'munged.pid')}`, `--log-file=${join(dir, 'munge', 'munged.log')}`, `--seed-file=${join(dir, 'munge', 'munged.seed')}`]);
  try {
    await until('the munge socket', () => existsSync(socket), 10_000);
  } catch {
    await stopCluster(cluster);
    return `munged did not start: ${tail(join(dir, 'munge', 'munged.log'))}`;
  }
  start('slurmctld', ['-D', '-i', '-f', conf]);
  start('slurmd', ['-D', '-N', 'localhost', '-f', conf]);
  try {
    await until(
      'the node to be idle',
      () => {
        const r = spawnSync('sinfo', ['-h', '-n', 'localhost', '-o', '%T'], { env, encoding: 'utf8' });
        return r.status === 0 && /^idle/.test(r.stdout.trim());
      },
      30_000,
    );
  } catch {
    const why = `slurmctld: ${tail(join(dir, 'slurmctld.log'))}; slurmd: ${tail(join(dir, 'slurmd.log'))}`;
    await stopCluster(cluster);
    return `the SLURM node did not become idle within 30 s (${why})`;
  }
  return cluster;
}

async function stopCluster(c: Cluster, jobs: string[] = []): Promise<void> {
  for (const j of jobs) spawnSync('scancel', [j], { env: c.env });
  // slurmd first (it ends its job steps), then the controller, then munge
  for (const d of [...c.daemons].reverse()) {
    if (d.exitCode !== null || d.signalCode !== null) continue;
    d.kill('SIGTERM');
    const ended = await Promise.race([new Promise<boolean>((r) => d.once('exit', () => r(true))), sleep(10_000).then(() => false)]);
    if (!ended) d.kill('SIGKILL');
  }
  rmSync(c.dir, { recursive: true, force: true });
}

test('SLURM: the same sweep as a job array on a single-node cluster gives the same table', { timeout: 400_000 }, async (t) => {
  const started = await startCluster();
  if (typeof started === 'string') {
    process.stderr.write(`SLURM test skipped: ${started}\n`);
    t.skip(started);
    return;
  }
  const cluster = started;
  const slurmDir = join(root, 'slurm');
  const killAll = () => cluster.daemons.forEach((d) => d.exitCode === null && d.kill('SIGKILL'));
  process.once('exit', killAll);
  const jobs: string[] = [];
  try {
    const r = await vmc(['sweep', sweepFile, '--out', slurmDir, '--executor', 'slurm', '--partition', 'debug', '--time', '00:10:00', '--mem', '300M', '--poll', '1'], cluster.env).done;
    assert.equal(r.code, 0, `exit code\n${r.out}\n${r.err}`);
    assert.match(r.out, /submitted SLURM job \d+: array 4 task\(s\)/);
    const script = readFileSync(join(slurmDir, 'sweep.sbatch'), 'utf8').split('\n');
    for (const line of ['#SBATCH --array=0-3', '#SBATCH --partition=debug', '#SBATCH --time=00:10:00', '#SBATCH --mem=300M', '#SBATCH --cpus-per-task=1', '#SBATCH --comment=vmc-sweep-test']) {
      assert.ok(script.includes(line), `sbatch script lacks ${line}`);
    }
    const m = json(join(slurmDir, 'sweep.json'));
    assert.equal(m.slurm_jobs.length, 1);
    const job = m.slurm_jobs[0].job_id;
    jobs.push(job);
    assert.deepEqual(m.points.map((p: any) => p.status), ['completed', 'completed', 'completed', 'completed']);
    for (const p of m.points) assert.match(json(join(slurmDir, 'points', `${p.name}.status.json`)).slurm_job, new RegExp(`^${job}_${p.index}$`));
    assert.deepEqual(readdirSync(join(slurmDir, 'slurm')).sort(), [0, 1, 2, 3].map((i) => `${job}_${i}.out`));
    // what vmc sweep --status prints, through the library (squeue finds the test's cluster by SLURM_CONF)
    const conf = process.env.SLURM_CONF;
    process.env.SLURM_CONF = cluster.env.SLURM_CONF;
    try {
      const status = sweepStatusReport(slurmDir);
      assert.deepEqual(status.counts, { completed: 4 });
      assert.equal(status.slurm_jobs[0]!.job_id, job);
    } finally {
      if (conf === undefined) delete process.env.SLURM_CONF;
      else process.env.SLURM_CONF = conf;
    }
    assert.ok(localTable !== null, 'the local sweep (previous test) did not finish: nothing to compare with');
    assert.equal(tableWithoutWallTime(slurmDir), localTable, 'SLURM and local tables differ');
  } finally {
    await stopCluster(cluster, jobs);
    process.off('exit', killAll);
  }
});
