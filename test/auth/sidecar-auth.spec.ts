// Sidecar mode: no auth without CAP_API_KEY (and then loopback only); with it, every route but
// /health needs the key, in x-api-key (the seed CLI) or as a Bearer token.
import { loadConfig, ConfigError } from '../../src/config/load-config';
import { startTestApp } from '../support/test-app';

describe('sidecar auth', () => {
  it('needs no key when CAP_API_KEY is unset', async () => {
    const t = await startTestApp();
    try {
      expect((await t.http.post('/v1/agents', {})).status).toBe(201);
      expect(t.config.host).toBe('127.0.0.1');
    } finally {
      await t.close();
    }
  });

  it('refuses to listen beyond loopback without a key', () => {
    expect(() => loadConfig({ CAP_HOST: '0.0.0.0' })).toThrow(ConfigError);
  });

  it('requires CAP_API_KEY on every route but /health when it is set', async () => {
    const key = 'sidecar-key-0123456789';
    const t = await startTestApp({ env: { CAP_API_KEY: key } });
    try {
      expect((await t.http.get('/health')).status).toBe(200);
      expect((await t.http.get('/health/ready')).status).toBe(401);
      expect((await t.http.get('/v1/agents')).status).toBe(401);
      expect((await t.http.get('/v1/agents', { headers: { 'x-api-key': 'wrong-key-0123456789' } })).status).toBe(401);
      expect((await t.http.post('/v1/agents', {}, { headers: { 'x-api-key': key } })).status).toBe(201);
      expect((await t.http.get('/v1/agents', { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      expect((await t.http.get('/v1/tenants', { headers: { 'x-api-key': key } })).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
