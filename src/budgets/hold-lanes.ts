// One lane per agent budget for holds: at most one hold statement per agent in flight from this
// instance, and the holds that arrive meanwhile go together in the next one (HOLD_BATCH_SQL).
//
// Why: every hold updates its agent's budget row and keeps the row lock until its commit is on
// disk. Calls of one busy agent would otherwise queue on that lock inside Postgres, each holding
// a pooled connection, one fsync each. In a lane they wait in the process instead, and a whole
// queue commits with one fsync. An idle agent's hold goes at once, alone: no added wait.

export interface LaneJob<Req, Res> {
  req: Req;
  resolve(res: Res): void;
  reject(err: unknown): void;
}

export class HoldLanes<Req, Res> {
  private readonly lanes = new Map<string, LaneJob<Req, Res>[]>();

  /** `runBatch` gets the jobs queued on one lane, in arrival order, and must settle every one. */
  constructor(
    private readonly runBatch: (jobs: LaneJob<Req, Res>[]) => Promise<void>,
    private readonly maxBatch = 256,
  ) {}

  submit(key: string, req: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const queued = this.lanes.get(key);
      const job = { req, resolve, reject };
      if (queued) {
        queued.push(job);
        return;
      }
      this.lanes.set(key, []);
      void this.drain(key, [job]);
    });
  }

  /** Runs `first`, then whatever queued behind it, until the lane is empty. */
  private async drain(key: string, first: LaneJob<Req, Res>[]): Promise<void> {
    let jobs = first;
    for (;;) {
      try {
        await this.runBatch(jobs);
      } catch (err) {
        for (const job of jobs) job.reject(err);
      }
      const queued = this.lanes.get(key)!;
      if (queued.length === 0) {
        this.lanes.delete(key);
        return;
      }
      jobs = queued.splice(0, this.maxBatch);
    }
  }
}
