import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/**
 * Custom search attributes ebb sets on every run, so operators can filter runs in the
 * Temporal UI (e.g. `EbbSync = "customers-to-crm" AND EbbStatus = "failed"`).
 * They are never encrypted, so they carry names and counts only, never row data.
 */
export const EbbSync = defineSearchAttributeKey('EbbSync', SearchAttributeType.KEYWORD);
export const EbbStatus = defineSearchAttributeKey('EbbStatus', SearchAttributeType.KEYWORD);
export const EbbRowsChanged = defineSearchAttributeKey('EbbRowsChanged', SearchAttributeType.INT);

/** Every key, for dev-server registration (`--search-attribute Name=Type`). */
export const EBB_SEARCH_ATTRIBUTES = [EbbSync, EbbStatus, EbbRowsChanged];
