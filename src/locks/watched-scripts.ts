// What redlock talks to for one agent lock: redlock 4's lock, extend and unlock scripts go to the
// shared ioredis connection through here, so that their errors reach us. Redlock counts an error
// (a timeout, a closed connection) as a "no" vote and ends in the same LockError it gives when
// another caller holds the lock, then waits out one more round trip to undo the attempt: a hung
// Redis would read as "locked" (409), and only after two command timeouts.
import Redis from 'ioredis';
import { LockServiceUnavailable } from './agent-lock';

type Callback = (err: Error | null, result?: unknown) => void;

export class WatchedScripts {
  private readonly waiting = new Set<(err: Error) => void>();

  constructor(private readonly redis: Redis) {}

  /** redlock's call: EVALSHA, which it follows with EVAL on NOSCRIPT. */
  evalsha(hash: string, args: (string | number)[], callback: Callback): void {
    this.send('evalsha', [hash, ...args], callback);
  }

  eval(args: (string | number)[], callback: Callback): void {
    this.send('eval', args, callback);
  }

  /**
   * Settles as `op` does, or rejects with LockServiceUnavailable at the first error of a script
   * sent meanwhile. Redlock's own undo round trip then goes on unawaited: sent after the attempt
   * on the same connection, it also undoes an attempt that a paused Redis runs late.
   */
  async watch<T>(op: () => PromiseLike<T>): Promise<T> {
    let fail!: (err: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = (err) => reject(new LockServiceUnavailable(err.message))));
    this.waiting.add(fail);
    try {
      return await Promise.race([op(), failed]);
    } finally {
      this.waiting.delete(fail);
    }
  }

  private send(command: 'evalsha' | 'eval', args: (string | number)[], callback: Callback): void {
    // The callbacks' return values are dropped: redlock returns its own promises from them, and
    // handing those to this chain would make their rejections ours, unhandled.
    this.redis.call(command, ...args).then(
      (result) => {
        callback(null, result);
      },
      (err: Error) => {
        // NOSCRIPT is an answer: redlock loads the script with EVAL and carries on.
        if (!err.message.startsWith('NOSCRIPT')) for (const fail of this.waiting) fail(err);
        callback(err);
      },
    );
  }
}
