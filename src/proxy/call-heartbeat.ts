// While a metered call runs, keep its agent lock and its hold alive (both have TTLs so that a
// dead instance frees them). Losing the lock aborts the call: an exclusive agent never has two.
import { BudgetLedgerRepository } from '../budgets/budget-ledger.repository';
import { HeldLock } from '../locks/agent-lock';

export function startHeartbeat(opts: {
  lock?: HeldLock;
  lockTtlMs: number;
  ledger: BudgetLedgerRepository;
  tenantId: string;
  reservationId: string;
  holdTtlSeconds: number;
  onLockLost: () => void;
}): () => void {
  const everyMs = Math.max(200, Math.floor(Math.min(opts.lockTtlMs, opts.holdTtlSeconds * 1000) / 3));
  const timer = setInterval(() => {
    void (async () => {
      if (opts.lock && !(await opts.lock.extend(opts.lockTtlMs))) opts.onLockLost();
      await opts.ledger.extendHold(opts.tenantId, opts.reservationId, opts.holdTtlSeconds).catch(() => undefined);
    })();
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
