/** The workflows the ebb worker registers. */
export { syncWorkflow } from './sync-workflow';
export { rollbackWorkflow } from './rollback-workflow';
