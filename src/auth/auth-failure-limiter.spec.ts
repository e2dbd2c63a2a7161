import { ApiError } from '../common/errors/api-error';
import { AuthFailureLimiter } from './auth-failure-limiter';

function refusal(limiter: AuthFailureLimiter, client: string): ApiError | undefined {
  try {
    limiter.assertAllowed(client);
    return undefined;
  } catch (err) {
    return err as ApiError;
  }
}

describe('AuthFailureLimiter', () => {
  it('refuses a client past the limit with 429 and Retry-After until its window ends', () => {
    let now = 1_000_000;
    const limiter = new AuthFailureLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(refusal(limiter, '10.0.0.1')).toBeUndefined();
      limiter.recordFailure('10.0.0.1');
    }
    const err = refusal(limiter, '10.0.0.1');
    expect(err).toBeInstanceOf(ApiError);
    expect(err!.status).toBe(429);
    expect(err!.code).toBe('rate_limited');
    expect(err!.headers['retry-after']).toBe('60');
    now += 45_500;
    expect(refusal(limiter, '10.0.0.1')!.headers['retry-after']).toBe('15');
    expect(refusal(limiter, '10.0.0.2')).toBeUndefined(); // other clients are not affected
    now += 14_500;
    expect(refusal(limiter, '10.0.0.1')).toBeUndefined(); // a new window
  });

  it('does nothing when the limit is 0', () => {
    const limiter = new AuthFailureLimiter(0, 60_000);
    for (let i = 0; i < 1_000; i++) limiter.recordFailure('x');
    expect(refusal(limiter, 'x')).toBeUndefined();
    expect(limiter.size).toBe(0);
  });

  it('remembers a bounded number of clients', () => {
    const limiter = new AuthFailureLimiter(1, 60_000);
    for (let i = 0; i < 60_000; i++) limiter.recordFailure(`client-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(50_000);
    expect(refusal(limiter, 'client-59999')).toBeDefined();
    expect(refusal(limiter, 'client-0')).toBeUndefined(); // the oldest was forgotten
  });
});
