/**
 * Adam (Kingma & Ba 2015) on a wavefunction's variables, with the learning-rate schedule
 * lr_t = lr / (1 + t/decay) used for RNN wavefunctions (decay = 0: constant). Written out
 * rather than taken from tf.train so its state (moments, step) is explicit and checkpointable.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  lr: number;
  /** time scale of the 1/(1 + t/decay) schedule in steps; 0 disables it */
  decay: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export interface AdamState {
  t: number;
  m: number[][];
  v: number[][];
}

export class Adam {
  private t = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly variables: tf.Variable[],
    private readonly opts: AdamOptions,
  ) {
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.epsilon = opts.epsilon ?? 1e-8;
    // tidy disposes the zerosLike temporaries; the variables keep their own reference
    this.m = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
    this.v = tf.tidy(() => variables.map((x) => tf.variable(tf.zerosLike(x), false)));
  }

  /** Learning rate that the next update will use. */
  learningRate(): number {
    return this.opts.decay > 0 ? this.opts.lr / (1 + this.t / this.opts.decay) : this.opts.lr;
  }

  /** One descent step along `grads` (aligned with the variables). Does not dispose `grads`. */
  apply(grads: tf.Tensor[]): void {
    const lr = this.learningRate();
    this.t += 1;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    tf.tidy(() => {
      this.variables.forEach((x, k) => {
        const g = grads[k];
        const m = this.m[k].mul(b1).add(g.mul(1 - b1));
        const v = this.v[k].mul(b2).add(g.square().mul(1 - b2));
        this.m[k].assign(m);
        this.v[k].assign(v);
        const step = m.div(c1).div(v.div(c2).sqrt().add(this.epsilon)).mul(lr);
        x.assign(x.sub(step));
      });
    });
  }

  getState(): AdamState {
    return {
      t: this.t,
      m: this.m.map((x) => Array.from(x.dataSync())),
      v: this.v.map((x) => Array.from(x.dataSync())),
    };
  }

  setState(s: AdamState): void {
    if (s.m.length !== this.m.length || s.v.length !== this.v.length) {
      throw new Error(`optimizer state has ${s.m.length} moments for ${this.m.length} variables`);
    }
    this.t = s.t;
    tf.tidy(() => {
      this.m.forEach((x, k) => x.assign(tf.tensor(s.m[k], x.shape, 'float32')));
      this.v.forEach((x, k) => x.assign(tf.tensor(s.v[k], x.shape, 'float32')));
    });
  }

  dispose(): void {
    for (const x of [...this.m, ...this.v]) x.dispose();
  }
}
