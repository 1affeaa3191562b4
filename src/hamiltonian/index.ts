export type { CompiledHamiltonian, CompiledTerm, Connections, FlipGroup } from './types.js';
export {
  loadModel,
  listModels,
  parseParamFlags,
  parseModel,
  validateModel,
  modelsDir,
  knownBondFamilies,
  MAX_MODEL_FILE_BYTES,
  PAULI_LETTERS,
} from './definition.js';
export type { ModelDefinition, TermDefinition, ParameterInfo } from './definition.js';
export {
  compileExpression,
  evaluateExpression,
  parameterNameProblem,
  EXPRESSION_CONSTANTS,
  EXPRESSION_FUNCTIONS,
  MAX_EXPRESSION_LENGTH,
} from './expression.js';
export type { CompiledExpression } from './expression.js';
export { compileHamiltonian, PauliSumOperator } from './compile.js';
export { denseMatrix, MAX_DENSE_SITES } from './dense.js';
