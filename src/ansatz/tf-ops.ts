/**
 * Differentiable building blocks that avoid the measured tfjs-wasm traps (design notes,
 * "TensorFlow.js on Node: measured facts"):
 *
 * - The built-in matMul gradient calls matMul with transposeA/transposeB flags, which the wasm
 *   backend runs 8–14× slower than an explicit `transpose` followed by a plain matMul. The
 *   custom gradients here transpose explicitly.
 * - A bias is added inside the matMul kernel (`tf.fused.matMul` with a rank-1 bias), so no
 *   broadcasting add appears in the forward pass; its gradient is a [1,B]·[B,K] matMul.
 * - The gradient with respect to a constant (host-built) left operand is not computed.
 */
import * as tf from '@tensorflow/tfjs';

type T2 = tf.Tensor2D;
type GradFn = Parameters<typeof tf.customGrad>[0];

/** tf.customGrad with typed positional arguments (the saver is passed last). */
function custom<F>(f: (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] }): F {
  return tf.customGrad(f as unknown as GradFn) as unknown as F;
}

/** a·b with both operands differentiated. */
export const mm = custom<(a: T2, b: T2) => T2>((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a as T2, b as T2),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as T2, tf.transpose(saved[1] as T2)),
      tf.matMul(tf.transpose(saved[0] as T2), dy as T2),
    ],
  };
});

/** a·b where `a` is a constant (no gradient needed for it): saves one matMul in the backward pass. */
export const mmConstLeft = custom<(a: T2, b: T2) => T2>((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a]);
  return {
    value: tf.matMul(a as T2, b as T2),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.zerosLike(saved[0]),
      tf.matMul(tf.transpose(saved[0] as T2), dy as T2),
    ],
  };
});

/** a·b where `b` is a constant. */
export const mmConstRight = custom<(a: T2, b: T2) => T2>((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([b]);
  return {
    value: tf.matMul(a as T2, b as T2),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy as T2, tf.transpose(saved[0] as T2)),
      tf.zerosLike(saved[0]),
    ],
  };
});

/** x·W + b (b rank 1), bias added inside the matMul kernel. */
export const affine = custom<(x: T2, w: T2, b: tf.Tensor1D) => T2>((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x as T2, b: w as T2, bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as T2[];
      const ones = tf.ones([1, xs.shape[0]]) as T2;
      return [
        tf.matMul(dy as T2, tf.transpose(ws)),
        tf.matMul(tf.transpose(xs), dy as T2),
        tf.reshape(tf.matMul(ones, dy as T2), [ws.shape[1]]),
      ];
    },
  };
});

/** tanh(x) = 2·sigmoid(2x) − 1 (the wasm tanh kernel is ~9× slower than sigmoid). */
export function tanhViaSigmoid(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.mul(tf.sigmoid(tf.mul(x, 2)), 2), 1);
}
