import { defineSearchAttributeKey } from '@temporalio/common';

/**
 * The handoff's state for Temporal visibility (`HandoffState = 'pending'`). Set only where the namespace
 * has it registered: the starter adds it at start, and the workflow upserts it only if it was given.
 */
export const HANDOFF_STATE_ATTRIBUTE = defineSearchAttributeKey('HandoffState', 'KEYWORD');
