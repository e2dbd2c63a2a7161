// Identifier shapes accepted on the wire.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/**
 * Agent ids: a UUID we make, or the client's own (SPEC §2), as the seed's were: printable,
 * bounded, no spaces. An id of any other shape is "not found", like an unknown one.
 */
export const AGENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

export const agentIdSchema = z.string().regex(AGENT_ID_RE, 'agent ids are 1-128 characters of A-Z a-z 0-9 . _ : -');

/** Run ids are the client's to choose (x-cynsta-run-id); printable, bounded, no spaces. */
export const RUN_ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export const runIdSchema = z.string().regex(RUN_ID_RE, 'run ids are 1-128 characters of A-Z a-z 0-9 . _ : -');

/** Request ids from x-request-id are echoed into logs, so only safe ones are kept. */
export function requestIdFrom(header: unknown): string {
  return typeof header === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(header) ? header : randomUUID();
}
