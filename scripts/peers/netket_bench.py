"""NetKet on the jobs of `npm run bench`, for a side-by-side comparison with vmc.

Prints one JSON object per job with the fields of vmc's bench rows (ansatz, model, n, hidden,
samples, workers, backend, step_s) plus compile_s and job details. step_s is the median wall time
of the timed steps after the warm-up steps; compile_s is the time of the warm-up steps beyond
that median (JAX tracing and XLA compilation). Jobs:

  gru20, gru100   GRU RNN, H=50, TFIM chain open, h=1, M=1000 exact samples, Adam 5e-3, float32:
                  nk.experimental.models.GRUNet1D(hilbert, layers=2, features=(50, 2)) (its last
                  layer emits the two conditionals), ARDirectSampler, optax Adam
  rbm64, rbm32    translation-symmetric real RBM alpha=2 (nk.models.RBMSymm), TFIM chain N=40
                  periodic, h=1, M=1000 Metropolis samples (MetropolisLocal, 8 chains, so that
                  1000 divides), SR (diag shift 0.01) with SGD lr 0.05, float64 and float32
  quickstart      experiments/quickstart.json: N=20 open, h=1, GRU H=50, M=500, 400 steps (or
                  --quickstart-steps), Adam lr 0.01/(1 + t/200); energy from 10000 fresh samples and its relative error
                  against the free-fermion energy -25.10779711162

Run it from a virtual environment outside the repository:

    python3 -m venv /work/nkvenv && /work/nkvenv/bin/pip install netket
    /work/nkvenv/bin/python scripts/peers/netket_bench.py [--jobs gru20,gru100,rbm64,rbm32,quickstart]
        [--steps 10] [--warmup 2] [--quickstart-steps 400] [--threads 1]

JAX runs on the CPU with XLA's own thread pool (all cores unless --threads 1, which sets
XLA_FLAGS before jax is imported). Energies are in Pauli units, H = -J sum Z Z - h sum X, as in vmc.
"""

import argparse
import json
import os
import statistics
import sys
import time

EXACT_QUICKSTART = -25.10779711162


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", default="gru20,gru100,rbm64,rbm32,quickstart")
    p.add_argument("--steps", type=int, default=10, help="timed steps per timing job (gru100: at most 4)")
    p.add_argument("--warmup", type=int, default=2, help="untimed steps first (compilation)")
    p.add_argument("--threads", type=int, default=0, help="XLA CPU threads (0 = XLA's default, all cores)")
    p.add_argument("--quickstart-steps", type=int, default=400, help="training steps of the quickstart job")
    p.add_argument("--seed", type=int, default=1)
    return p.parse_args()


ARGS = parse_args()
if ARGS.threads:
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads={ARGS.threads}"
    )

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import netket as nk  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402


def tfim_chain(n, pbc):
    graph = nk.graph.Chain(n, pbc=pbc)
    hilbert = nk.hilbert.Spin(0.5, n)
    # NetKet's Ising is -h sum X + J sum Z Z (Pauli matrices): J = -1 is vmc's ferromagnet
    return graph, hilbert, nk.operator.Ising(hilbert, graph, h=1.0, J=-1.0)


def gru_state(hilbert, samples, hidden, seed):
    model = nk.experimental.models.GRUNet1D(hilbert, layers=2, features=(hidden, 2), param_dtype=jnp.float32)
    sampler = nk.sampler.ARDirectSampler(hilbert)
    return nk.vqs.MCState(sampler, model, n_samples=samples, seed=seed, sampler_seed=seed + 1)


def timed_run(driver, steps):
    """Runs `steps` steps; returns the wall time of each (a step ends when its energy is known,
    which depends on the previous update, so consecutive intervals are whole steps)."""
    marks = []

    def cb(step, log, drv):
        float(np.real(drv.energy.mean))  # blocks until this step's energy is computed
        marks.append(time.perf_counter())
        return True

    t0 = time.perf_counter()
    driver.run(steps, out=(), show_progress=False, callback=cb)
    times = np.diff([t0] + marks)
    return [float(t) for t in times], float(np.real(driver.energy.mean))


def row(job, ansatz, n, hidden, samples, times, warmup, **extra):
    timed = times[warmup:]
    med = statistics.median(timed)
    return {
        "job": job,
        "ansatz": ansatz,
        "model": "tfim",
        "n": n,
        "hidden": hidden,
        "samples": samples,
        "workers": 1,
        "backend": "netket-jax-cpu",
        "step_s": round(med, 4),
        "compile_s": round(sum(times[:warmup]) - warmup * med, 3),
        "timed_steps": len(timed),
        "threads": ARGS.threads or os.cpu_count(),
        "netket": nk.__version__,
        "jax": jax.__version__,
        **extra,
    }


def job_gru(job, n):
    _, hilbert, ham = tfim_chain(n, pbc=False)
    vs = gru_state(hilbert, 1000, 50, ARGS.seed)
    driver = nk.driver.VMC(ham, optax.adam(5e-3), variational_state=vs)
    steps = min(ARGS.steps, 4) if n >= 100 else ARGS.steps
    times, energy = timed_run(driver, ARGS.warmup + steps)
    return row(job, "rnn", n, 50, 1000, times, ARGS.warmup, dtype="float32", energy_last=energy, n_parameters=vs.n_parameters)


def job_rbm(job, dtype):
    graph, hilbert, ham = tfim_chain(40, pbc=True)
    model = nk.models.RBMSymm(symmetries=graph.translation_group(), alpha=2, param_dtype=dtype)
    sampler = nk.sampler.MetropolisLocal(hilbert, n_chains=8)
    vs = nk.vqs.MCState(sampler, model, n_samples=1000, seed=ARGS.seed, sampler_seed=ARGS.seed + 1)
    driver = nk.driver.VMC(ham, optax.sgd(0.05), variational_state=vs, preconditioner=nk.optimizer.SR(diag_shift=0.01))
    times, energy = timed_run(driver, ARGS.warmup + ARGS.steps)
    name = "float64" if dtype == jnp.float64 else "float32"
    return row(job, "rbm", 40, 80, 1000, times, ARGS.warmup, dtype=name, alpha=2, bc="periodic", energy_last=energy, n_parameters=vs.n_parameters)


def job_quickstart():
    _, hilbert, ham = tfim_chain(20, pbc=False)
    vs = gru_state(hilbert, 500, 50, ARGS.seed)
    schedule = lambda t: 0.01 / (1 + t / 200)  # noqa: E731  (vmc's lr / (1 + step / lr-decay))
    driver = nk.driver.VMC(ham, optax.adam(schedule), variational_state=vs)
    t0 = time.perf_counter()
    times, _ = timed_run(driver, ARGS.quickstart_steps)
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    vs.n_samples = 10000
    est = vs.expect(ham)
    energy = float(np.real(est.mean))
    eval_s = time.perf_counter() - t1
    return row(
        "quickstart", "rnn", 20, 50, 500, times, ARGS.warmup, dtype="float32", steps=ARGS.quickstart_steps,
        train_s=round(train_s, 2), eval_s=round(eval_s, 2), wall_s=round(train_s + eval_s, 2),
        energy=energy, error=float(est.error_of_mean), rel_error=abs((energy - EXACT_QUICKSTART) / EXACT_QUICKSTART),
    )


JOBS = {
    "gru20": lambda: job_gru("gru20", 20),
    "gru100": lambda: job_gru("gru100", 100),
    "rbm64": lambda: job_rbm("rbm64", jnp.float64),
    "rbm32": lambda: job_rbm("rbm32", jnp.float32),
    "quickstart": job_quickstart,
}


def main():
    jobs = ARGS.jobs.split(",")
    for j in jobs:
        if j not in JOBS:
            sys.exit(f"netket_bench.py: --jobs: unknown job {j!r} (expected {', '.join(JOBS)})")
    for j in jobs:
        print(json.dumps(JOBS[j]()), flush=True)


if __name__ == "__main__":
    main()
