import { z } from 'zod';

/**
 * Safety settings of a sync: a canary cohort written and checked before the rest, before-images
 * for rollback, and an auto-halt on rising rejections. Each becomes a named step of the sync
 * workflow (see workflows/sync-workflow.ts).
 */

const duration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'use a duration like "30m" or "1h"');

/** Which rows form the canary: a hash bucket of the primary key, or the first N keys. */
export const canaryCohortSchema = z.union([
  z.strictObject({
    percent: z.number().gt(0).max(100).meta({ description: 'Rows whose primary key hashes into the lowest `percent`% of buckets (md5 of the key): the same rows on every run and replay.' }),
  }),
  z.strictObject({ rows: z.number().int().min(1).meta({ description: 'The first `rows` changes in primary-key order.' }) }),
]);
export type CanaryCohort = z.infer<typeof canaryCohortSchema>;

export const canarySchema = z
  .strictObject({
    cohort: canaryCohortSchema,
    maxRejectionRate: z.number().min(0).max(1).default(0.02).meta({ description: 'The canary fails when the destination rejects more than this fraction of its rows.' }),
    readBack: z
      .strictObject({
        sample: z.number().int().min(1).max(10_000).default(100).meta({ description: 'Written canary records read back from the destination.' }),
        minAccuracy: z.number().min(0).max(1).default(1).meta({ description: 'Share of read-back field values equal to what was sent (the mapping accuracy KPI) below which the canary fails.' }),
      })
      .optional()
      .meta({ description: 'Read a sample of the written canary records back and compare field by field. Needs a destination that can read back (postgres, hubspot, salesforce).' }),
    promote: z.enum(['auto', 'approval']).default('auto').meta({ description: 'auto: promote when the checks pass; approval: wait for approveCanary / rejectCanary.' }),
    approvalTimeout: duration.default('1h'),
    onApprovalTimeout: z.enum(['promote', 'reject']).default('reject'),
  })
  .meta({ description: 'Write a deterministic cohort first, check it (rejections, read-back), then promote or roll back.' });
export type CanarySpec = z.infer<typeof canarySchema>;

export const autoHaltSchema = z
  .strictObject({
    rejectionRate: z.number().min(0).max(1).meta({ description: 'Stop writing when more than this fraction of a destination\'s rows so far was rejected.' }),
    minRows: z.number().int().min(1).default(100).meta({ description: 'Rows answered before the rate is judged (a few early rejections are noise).' }),
    then: z.enum(['rollback', 'leave']).default('rollback').meta({ description: 'rollback: restore the before-images; leave: keep what was written and commit the acknowledged rows.' }),
  })
  .meta({ description: 'Halt a run whose rejection rate crosses a threshold.' });
export type AutoHaltSpec = z.infer<typeof autoHaltSchema>;

export const verifySchema = z
  .strictObject({
    sample: z.number().int().min(1).max(10_000).default(100).meta({ description: 'Written records read back per destination after the writes and before the commit.' }),
    minAccuracy: z.number().min(0).max(1).optional().meta({ description: 'Fail the check below this mapping accuracy (share of read-back values equal to what was sent).' }),
    onFailure: z.enum(['rollback', 'warn']).default('warn').meta({ description: 'rollback: restore the before-images and commit nothing; warn: commit, and report the accuracy.' }),
  })
  .meta({ description: 'Post-write verification: read a sample of the written records back, measuring mapping accuracy and the destination consistency error rate (KPIs).' });
export type VerifySpec = z.infer<typeof verifySchema>;

/** The safety fields of the sync spec (spread into `syncSpecSchema`). */
export const safetyFields = {
  canary: canarySchema.optional(),
  autoHalt: autoHaltSchema.optional(),
  verify: verifySchema.optional(),
  beforeImages: z.boolean().optional().meta({
    description:
      'Before each chunk, read the current values of the fields it will change (and note which records it creates), in the state store, so `ebb rollback` can undo the run. Default: on when canary or autoHalt is set. Needs destinations that can read back.',
  }),
};

/** Whether a sync records before-images: explicitly, or because a canary or auto-halt may roll back. */
export function capturesBeforeImages(spec: { beforeImages?: boolean; canary?: CanarySpec; autoHalt?: AutoHaltSpec; verify?: VerifySpec }): boolean {
  return spec.beforeImages ?? (spec.canary !== undefined || spec.autoHalt?.then === 'rollback' || spec.verify?.onFailure === 'rollback');
}
