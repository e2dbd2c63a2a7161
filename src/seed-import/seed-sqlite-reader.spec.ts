import { readFileSync, writeFileSync } from 'node:fs';
import { standardStore, writeSeedStore } from '../../test/seed-import/seed-store-fixture';
import { readSeedStore, SeedFileError } from './seed-sqlite-reader';

async function problemsOf(file: string): Promise<string[]> {
  try {
    await readSeedStore(file);
  } catch (err) {
    if (err instanceof SeedFileError) return err.problems;
    throw err;
  }
  throw new Error('the file was read without a problem');
}

describe('readSeedStore', () => {
  it('reads agents, budget-only agents and ledger-only agents, calls oldest first, prompts left out', async () => {
    const store = standardStore();
    const orphan = { ...store.rows.ledger[0], id: 'orphan-row', agent_id: 'ci:nightly.bot-1', created_at: '2025-12-31 23:59:59' };
    store.rows.ledger.reverse().push(orphan);
    const agents = await readSeedStore(await writeSeedStore(store.rows));
    expect(agents.map((a) => a.agent_id)).toEqual([store.ids.alpha, store.ids.bravo, store.ids.charlie, store.ids.delta, 'ci:nightly.bot-1']);
    const alpha = agents[0];
    expect(alpha).toMatchObject({ name: 'research-bot', created_at: '2026-01-05T09:00:00.123Z', budget: { hard_limit_cents: 5000, remaining_cents: 4943 } });
    expect(alpha.calls.map((c) => c.created_at)).toEqual(['2026-01-05T09:01:00.500Z', '2026-01-05T09:02:00.000Z', '2026-01-05T09:03:00.000Z']);
    expect(alpha.calls[0]).not.toHaveProperty('meta_json');
    expect(JSON.stringify(agents)).not.toContain('PROMPT-ALPHA');
    expect(agents[4]).toMatchObject({ name: null, created_at: null, budget: null, calls: [{ seed_row_id: 'orphan-row', created_at: '2025-12-31T23:59:59.000Z' }] });
  });

  it("carries meta_json only when asked (for a service that captures prompts)", async () => {
    const store = standardStore();
    const [alpha] = await readSeedStore(await writeSeedStore(store.rows), { withMetaJson: true });
    expect(alpha.calls[0].meta_json).toBe(store.rows.ledger[0].meta_json);
  });

  it('names every bad row, and tells how many more there are past the first five', async () => {
    const store = standardStore();
    const [a, b] = store.rows.ledger;
    a.agent_id = null;
    a.realized_cents = 'twelve';
    b.input_tokens = -1;
    b.created_at = 'last tuesday';
    store.rows.budgets[0].hard_limit_cents = 2 ** 60;
    store.rows.agents.push({ agent_id: 'x'.repeat(129), name: null, created_at: '2026-01-01T00:00:00+00:00' });
    const file = await writeSeedStore(store.rows);
    const problems = await problemsOf(file);
    expect(problems).toEqual([
      `cap_agents row agent_id="${'x'.repeat(80)}…": agent id "${'x'.repeat(80)}…" cannot be kept here (ids are 1-128 characters of A-Z a-z 0-9 . _ : -)`,
      `cap_budgets row agent_id="${store.ids.alpha}": hard_limit_cents is ${2n ** 60n}, more than the 1000000000000 cents an amount may be`,
      `cap_usage_ledger row id="${a.id}": agent_id is empty; every row must name its agent`,
      `cap_usage_ledger row id="${a.id}": realized_cents is "twelve", not a whole number of cents`,
      `cap_usage_ledger row id="${b.id}": input_tokens is -1; amounts are 0 or more`,
      `cap_usage_ledger row id="${b.id}": created_at "last tuesday" is not a date and time (the seed wrote ISO 8601, e.g. 2026-02-18T00:00:00.123456+00:00)`,
    ]);
    await expect(readSeedStore(file)).rejects.toThrow(/, nothing was imported: .* \(and 1 more\)$/);
  });

  it('reads a file left in WAL mode, but not while its write-ahead log holds changes', async () => {
    const store = standardStore();
    const file = await writeSeedStore(store.rows);
    const bytes = readFileSync(file);
    bytes[18] = bytes[19] = 2;
    writeFileSync(file, bytes);
    expect((await readSeedStore(file)).map((a) => a.agent_id)).toContain(store.ids.alpha);
    writeFileSync(`${file}-wal`, Buffer.alloc(32, 1));
    expect((await problemsOf(file))[0]).toMatch(/-wal holds changes the seed has not yet written into the file: stop the seed sidecar/);
  });

  it('refuses a file whose schema is not the seed store', async () => {
    const file = await writeSeedStore(standardStore().rows, 'ALTER TABLE cap_budgets DROP COLUMN locked_cents');
    expect(await problemsOf(file)).toEqual(['it is not a seed store (SQLITE.md): table cap_budgets has no column locked_cents']);
  });
});
