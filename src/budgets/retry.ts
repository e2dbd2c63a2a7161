// Retries a money-moving statement on serialization failures and deadlocks (formance
// log_process.go), which Postgres may raise when holds, settles and the sweeper meet.
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;

export async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || attempt >= MAX_ATTEMPTS) throw err;
      await new Promise((r) => setTimeout(r, 2 ** attempt + Math.random() * 10));
    }
  }
}
