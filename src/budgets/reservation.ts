// The handle budgets gives to whoever took a hold (TigerBeetle's pending transfer): it is posted
// (settle), voided (release) or expired exactly once, and it ends by itself at its deadline if its
// owner never ends it. While it is open it keeps its hold — and any lease tied to it, such as the
// agent lock of an exclusive call — alive, but never past the deadline: a call that hangs cannot
// keep a budget or an agent blocked for longer than the deadline plus one TTL.
import { Logger } from '@nestjs/common';
import type { Finalized, SettleDetails } from './budget-ledger.repository';

/** Something held for as long as the reservation is open (the exclusive agent lock). */
export interface Lease {
  /** Pushes the lease's expiry out; false when it was lost. */
  extend(ttlMs: number): Promise<boolean>;
  release(): Promise<void>;
}

/** The statements a reservation ends with; BudgetLedgerRepository provides them. */
export interface ReservationLedger {
  settle(tenantId: string, reservationId: string, costMicrocents: bigint, info?: SettleDetails): Promise<Finalized | null>;
  release(tenantId: string, reservationId: string, details?: unknown): Promise<Finalized | null>;
  expire(tenantId: string, reservationId: string, details?: unknown): Promise<Finalized | null>;
  extendHold(tenantId: string, reservationId: string, ttlSeconds: number, notAfter: Date): Promise<boolean>;
}

export interface KeepAlive {
  /** The hold's own expiry, pushed out by this much each beat (CAP_RESERVATION_TTL_SECONDS). */
  holdTtlSeconds: number;
  lease?: Lease;
  /** The lease's TTL, pushed out each beat but never past the deadline. */
  leaseTtlMs?: number;
  /** The lease was lost (another holder may exist): the owner must stop the call. */
  onLeaseLost?: () => void;
}

const logger = new Logger('reservation');

export class Reservation {
  private outcome?: Promise<Finalized | null>;
  private readonly deadlineTimer: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private lease?: Lease;

  constructor(
    private readonly ledger: ReservationLedger,
    readonly tenantId: string,
    readonly id: string,
    readonly holdMicrocents: bigint,
    /** Epoch ms: the reservation ends by itself here, charged in full, if still open. */
    readonly deadlineAt: number,
  ) {
    this.deadlineTimer = setTimeout(() => {
      if (this.outcome) return;
      logger.warn({ msg: 'a reservation reached its deadline open; expiring it in full', reservation_id: id });
      void this.expire({ reason: 'call_deadline_passed' }).catch(() => undefined);
    }, Math.max(0, deadlineAt - Date.now()));
    this.deadlineTimer.unref();
  }

  get finished(): boolean {
    return this.outcome !== undefined;
  }

  /** Charges the real cost; the rest of the hold is released, any excess is an overrun. */
  settle(costMicrocents: bigint, info: SettleDetails = {}): Promise<Finalized | null> {
    return this.finish(() => this.ledger.settle(this.tenantId, this.id, costMicrocents, info));
  }

  /** Voids the hold in full (the call was refused or never reached the provider). */
  release(details?: unknown): Promise<Finalized | null> {
    return this.finish(() => this.ledger.release(this.tenantId, this.id, details));
  }

  /** Charges the whole hold: nobody can say what the call cost. */
  expire(details?: unknown): Promise<Finalized | null> {
    return this.finish(() => this.ledger.expire(this.tenantId, this.id, details));
  }

  /**
   * Keeps the hold (and `lease`) alive while the call runs, a beat every third of the shorter
   * TTL, until the reservation ends or its deadline passes. The lease is released when the
   * reservation ends, whichever way.
   */
  keepAlive(opts: KeepAlive): void {
    if (this.heartbeat || this.outcome) return;
    this.lease = opts.lease;
    const leaseTtlMs = opts.leaseTtlMs ?? opts.holdTtlSeconds * 1000;
    const everyMs = Math.max(200, Math.floor(Math.min(leaseTtlMs, opts.holdTtlSeconds * 1000) / 3));
    const notAfter = new Date(this.deadlineAt);
    this.heartbeat = setInterval(() => {
      const left = this.deadlineAt - Date.now();
      if (this.outcome || left <= 0) {
        this.stopHeartbeat();
        return;
      }
      void (async () => {
        if (this.lease && !(await this.lease.extend(Math.min(leaseTtlMs, left)))) opts.onLeaseLost?.();
        await this.ledger.extendHold(this.tenantId, this.id, opts.holdTtlSeconds, notAfter).catch(() => undefined);
      })();
    }, everyMs);
    this.heartbeat.unref();
  }

  private finish(statement: () => Promise<Finalized | null>): Promise<Finalized | null> {
    if (this.outcome) return this.outcome;
    clearTimeout(this.deadlineTimer);
    this.stopHeartbeat();
    this.outcome = statement().finally(() => {
      // The hold is no longer ours to keep, whatever the statement did: should it have failed,
      // the hold stays open in the database and expires there, charged in full.
      const lease = this.lease;
      this.lease = undefined;
      if (lease) void lease.release().catch(() => undefined);
    });
    return this.outcome;
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
