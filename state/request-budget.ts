import { MemoryRequestBudget } from '../connectors/budget/memory-budget';
import type { RequestBudget } from '../connectors/types';
import { SharedRequestBudget } from './shared-budget';
import type { StateStore } from './store';

/**
 * The request budget for a worker: shared through the state store when it is PostgreSQL (the
 * deployment with several workers), in memory with the embedded DuckDB store (one worker).
 */
export function requestBudgetFor(store: StateStore): RequestBudget {
  return store.driver.dialect === 'postgres' ? new SharedRequestBudget(store.driver) : new MemoryRequestBudget();
}
