// Group commit across agents: the batches of several agents' lanes (hold-lanes.ts) that are ready
// at the same time go to Postgres as one statement, with at most `maxInFlight` statements running.
// Every hold commits durably (an fsync); with many agents busy at once this makes one fsync serve
// many of them. Alone, a batch goes at once: nothing waits unless statements are already running.

interface Pending<J> {
  jobs: J[];
  done(): void;
  fail(err: unknown): void;
}

export class BatchCombiner<J> {
  private readonly pending: Pending<J>[] = [];
  private inFlight = 0;

  constructor(
    private readonly runAll: (jobs: J[]) => Promise<void>,
    private readonly maxInFlight: number,
    private readonly maxJobs: number,
  ) {}

  /** Resolves once `jobs` have run (in some statement, possibly with other batches). */
  run(jobs: J[]): Promise<void> {
    return new Promise<void>((done, fail) => {
      this.pending.push({ jobs, done, fail });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.pending.length > 0) {
      const taken: Pending<J>[] = [];
      let count = 0;
      while (this.pending.length > 0 && (taken.length === 0 || count + this.pending[0].jobs.length <= this.maxJobs)) {
        const next = this.pending.shift()!;
        taken.push(next);
        count += next.jobs.length;
      }
      this.inFlight++;
      this.runAll(taken.flatMap((p) => p.jobs))
        .then(
          () => taken.forEach((p) => p.done()),
          (err) => taken.forEach((p) => p.fail(err)),
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
