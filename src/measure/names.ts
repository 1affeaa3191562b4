/** The observable families of `vmc measure` (kept apart so that code without TensorFlow can name them). */
export const OBSERVABLES = ['energy', 'magnetization', 'correlations', 'structure-factor', 'renyi'] as const;
export type ObservableName = (typeof OBSERVABLES)[number];
