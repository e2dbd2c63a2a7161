import { BatchCombiner } from './batch-combiner';

describe('BatchCombiner', () => {
  const deferred = () => {
    let release!: () => void;
    const done = new Promise<void>((r) => (release = r));
    return { done, release };
  };

  it('runs a batch at once while fewer than maxInFlight run, and combines what waits', async () => {
    const runs: number[][] = [];
    const gates: ReturnType<typeof deferred>[] = [];
    const combiner = new BatchCombiner<number>(
      (jobs) => {
        runs.push(jobs);
        const gate = deferred();
        gates.push(gate);
        return gate.done;
      },
      2,
      100,
    );
    const all = [combiner.run([1]), combiner.run([2]), combiner.run([3, 4]), combiner.run([5])];
    expect(runs).toEqual([[1], [2]]); // two in flight, the rest wait
    gates[0].release();
    await all[0];
    await new Promise((r) => setImmediate(r));
    expect(runs).toEqual([[1], [2], [3, 4, 5]]);
    gates[1].release();
    gates[2].release();
    await Promise.all(all);
  });

  it('keeps a statement to maxJobs, and fails only the batches of a failed statement', async () => {
    const runs: number[][] = [];
    let first = true;
    const combiner = new BatchCombiner<number>(
      async (jobs) => {
        runs.push(jobs);
        if (first) {
          first = false;
          await new Promise((r) => setTimeout(r, 10));
          throw new Error('statement failed');
        }
      },
      1,
      3,
    );
    const a = combiner.run([1]);
    const b = combiner.run([2, 3]);
    const c = combiner.run([4, 5]);
    await expect(a).rejects.toThrow('statement failed');
    await expect(b).resolves.toBeUndefined();
    await expect(c).resolves.toBeUndefined();
    expect(runs).toEqual([[1], [2, 3], [4, 5]]);
  });
});
