// The one hook the metered path offers to whoever watches calls (telemetry, src/telemetry): a
// call reports what it did into an observation, and ends it once. With nothing watching, no
// observation exists and the proxy does no extra work: every report is an optional call.
import type { Finalized } from '../budgets/budget-ledger.repository';
import type { NormalizedUsage } from '../pricing/usage';
import type { SseEvent } from '../providers/sse';
import type { MeteredRequest } from './metered-request';
import type { Reserved } from './output-reservation';

/** Nest token of the CallObserver; its value is null when nothing watches calls. */
export const CALL_OBSERVER = Symbol('CALL_OBSERVER');

export interface CallObserver {
  /** A metered call starts (after authentication, before pricing). */
  begin(m: MeteredRequest, tenantId: string, requestId: string): CallObservation;
}

/** What ProxyService.settle did: the real cost posted, or found the hold already expired. */
export interface ObservedSettle {
  /** The reservation had already ended by itself (its deadline) when the settle came. */
  expired: boolean;
  costMicrocents: bigint;
  usage?: NormalizedUsage;
  breakdown?: unknown;
  details?: Record<string, unknown>;
  finalized: Finalized | null;
  /** performance.now() when the settle statement was sent. */
  startedAt: number;
}

/** Reports of one call, in the order they happen; none may throw. */
export interface CallObservation {
  /** The worst case is held (priced with this table version). */
  held(reserved: Reserved, priceVersion: string): void;
  /** The provider answered with this status. */
  upstreamAnswered(status: number): void;
  /** A whole answer (or a refusal) was read: its bytes, as the provider sent them. */
  answerRead(bytes: Buffer): void;
  /** One event of a streamed answer, in order. */
  streamEvent(event: SseEvent): void;
  settled(settle: ObservedSettle): void;
  /** The call is over: `error` is what it threw (undefined when it answered), `status` what the reply says. */
  end(error: unknown, status: number): void;
}
