// One metered call's lifetime from the moment its handler starts: the client hanging up (at any
// moment, even before the handler could listen) and the call's absolute deadline both abort it
// through one signal, which the upstream request, the body read and the stream relay all obey.
//
// Why it listens from the start: a listener added later misses a hang-up that has already
// happened, and the call then waits for a socket that is gone (a stream's `drain` never comes).
import type { FastifyReply, FastifyRequest } from 'fastify';

export type CallEnd = 'client_disconnected' | 'deadline' | 'lock_lost';

/** Thrown where a call stops because its client left: there is nobody to answer. */
export class ClientGone extends Error {
  constructor() {
    super('the client hung up');
  }
}

const STOP_REASONS: Record<Exclude<CallEnd, 'client_disconnected'>, string> = {
  deadline: 'the call reached its deadline (CAP_UPSTREAM_TIMEOUT_MS)',
  lock_lost: "the agent's lock was lost: an exclusive agent never runs two calls",
};

/** How long a whole answer already on its way may still take to arrive after the client left. */
const ANSWER_GRACE_MS = 500;

export class CallScope {
  private readonly controller = new AbortController();
  private readonly deadlineTimer: NodeJS.Timeout;
  private graceTimer?: NodeJS.Timeout;
  private reading = false;
  private left = false;
  /** Why the call was stopped, if it was. */
  ended?: CallEnd;

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
    /** CAP_UPSTREAM_TIMEOUT_MS: the whole call, not just one wait, ends by then. */
    timeoutMs: number,
  ) {
    this.deadlineAt = Date.now() + timeoutMs;
    reply.raw.once('close', this.onClose);
    if (request.raw.socket?.destroyed) this.onClose();
    this.deadlineTimer = setTimeout(() => this.stop('deadline'), timeoutMs);
    this.deadlineTimer.unref();
  }

  /** Epoch ms at which the call is stopped, wherever it is. */
  readonly deadlineAt: number;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The client hung up (the call may still be finishing its answer's read, see readingAnswer). */
  get clientGone(): boolean {
    return this.left;
  }

  /**
   * While a whole (non-streamed) answer is being read, a hang-up stops the read only after a
   * short grace: the answer is usually all but there, and reading it settles the real cost
   * rather than the whole hold.
   */
  readingAnswer(on: boolean): void {
    this.reading = on;
  }

  /** Call when the call is over: stops listening and the deadline. */
  end(): void {
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.graceTimer);
    this.reply.raw.off('close', this.onClose);
  }

  private readonly onClose = (): void => {
    if (this.reply.raw.writableFinished || this.ended) return;
    this.left = true;
    if (this.reading) {
      this.graceTimer ??= setTimeout(() => this.stop('client_disconnected'), ANSWER_GRACE_MS);
      return;
    }
    this.stop('client_disconnected');
  };

  /** Stops the call wherever it is (the upstream request, the answer's read, the relay). */
  stop(why: CallEnd): void {
    if (this.ended) return;
    this.ended = why;
    this.controller.abort(why === 'client_disconnected' ? new ClientGone() : new Error(STOP_REASONS[why]));
  }
}
