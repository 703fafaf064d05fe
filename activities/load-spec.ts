import { createHash } from 'node:crypto';
import { resolvePolicy } from '../connectors/policy-files';
import { findSpec } from '../connectors/spec-files';
import { validateSpec } from '../connectors/spec-validation';
import { canonicalJson } from '../domain/row-hash';
import type { SyncSpec, SyncSpecInput } from '../domain/spec/schema';
import { asStep } from './failure';
import type { ActivityDeps } from './deps';

/** Result of {@link loadSpec}: the validated spec and its content hash (its version). */
export interface LoadedSpec {
  spec: SyncSpec;
  specHash: string;
}

/**
 * Resolves a spec by name from the worker's `syncs/` folder, or validates an inline one sent
 * by a client. Invalid specs fail here, non-retryably, before anything is read or written.
 */
export function makeLoadSpec(deps: ActivityDeps) {
  return async function loadSpec(input: { spec: string | SyncSpecInput }): Promise<LoadedSpec> {
    const name = typeof input.spec === 'string' ? input.spec : (input.spec as { name?: string }).name;
    return asStep({ sync: name, step: 'load-spec' }, async () => {
      const named = typeof input.spec === 'string' ? (await findSpec(deps.syncsDir, input.spec)).spec : validateSpec(input.spec, 'inline spec');
      const spec = await resolvePolicy(named, deps.syncsDir);
      const specHash = createHash('sha256').update(canonicalJson(spec)).digest('hex').slice(0, 16);
      return { spec, specHash };
    });
  };
}
