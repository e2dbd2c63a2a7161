// Two applications in one process (the multi-instance tests, an embedding host) must each keep
// the auth configuration they were built with. @nestjs/passport registers every strategy in the
// process-wide `passport` singleton by name, so the last app built decides how every app
// authenticates unless the service keeps its strategy to itself.
import { startTestApp, TestApp } from '../support/test-app';

describe('two apps in one process', () => {
  let sidecar: TestApp;
  let hosted: TestApp;

  beforeAll(async () => {
    sidecar = await startTestApp();
    hosted = await startTestApp({
      env: { CAP_MODE: 'hosted', CAP_API_KEY: 'operator-key-isolation-0123456789', REDIS_URL: 'redis://127.0.0.1:6379' },
    });
  });
  afterAll(async () => {
    await hosted.close();
    await sidecar.close();
  });

  it('keep their own auth: the key-less sidecar still answers without a key', async () => {
    const res = await sidecar.http.get('/v1/agents');
    expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { agents: [], next_cursor: null } });
  });

  it('keep their own auth: the hosted app still wants a key', async () => {
    const res = await hosted.http.get('/v1/agents');
    expect(res.status).toBe(401);
  });
});
