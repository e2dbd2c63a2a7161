// Builds a Dockerfile without Docker (none runs on our machines): each stage gets a directory
// that stands for its filesystem root, and its instructions run in order against it. COPY takes
// files from the build context (docker-context.ts) or an earlier stage; RUN runs its command on
// this machine in the stage's WORKDIR. So a step in the wrong order, or a file the final stage
// lacks, fails here as it would in `docker build` or at `docker run`.
//
// What cannot be the same: the base image (this machine's Node, npm and /bin/sh stand in for
// it), and a RUN command's absolute paths, which would reach this machine's own (refused: keep
// RUN paths relative to WORKDIR). npm is pointed at this machine's cache (prefer-offline).
// Like Docker, RUN results are cached by everything that went into them (earlier instructions,
// the content of copied files), so a warm replay only redoes the steps whose inputs changed.
import { createHash } from 'node:crypto';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildContext } from './docker-context';
import { Instruction, parseDockerfile, Stage } from './dockerfile';

const CACHE_DIR = path.join(tmpdir(), 'spendguard-image-replay-cache');
const CACHE_KEEP = 6;
const RUN_TIMEOUT_MS = 5 * 60_000;
/** The users the base image (node:*) has. */
export const IMAGE_USERS: Record<string, number> = { root: 0, node: 1000 };

export interface ReplayedImage {
  /** The directory standing for the final stage's filesystem root. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[] | null;
  /** RUN steps taken from the cache, and run. */
  cached: number;
  ran: number;
}

interface StageState {
  stage: Stage;
  root: string;
  key: string;
  /** A cached snapshot the root is (or will be) a copy of, and the COPYs pending on top. */
  snapshot?: string;
  pending: Array<() => void>;
  workdir: string;
  env: Record<string, string>;
  user: string;
  entrypoint: string[];
  cmd: string[];
  healthcheck: string[] | null;
}

const hash = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

/** Every file under dir, relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((d) => {
    const rel = path.posix.join(prefix, d.name);
    return d.isDirectory() ? walk(dir, rel) : [rel];
  });
}

/** Maps an absolute path of the image onto `root` when it exists there (`/bin/sh` stays this machine's). */
export function mapPath(root: string, arg: string): string {
  return arg.startsWith('/') && existsSync(path.join(root, arg)) ? path.join(root, arg) : arg;
}

export class ImageReplay {
  cached = 0;
  ran = 0;
  private readonly stages: StageState[] = [];
  private readonly contextFiles: string[];

  constructor(
    private readonly contextDir: string,
    private readonly scratch: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.contextFiles = buildContext(contextDir);
  }

  async build(dockerfile = path.join(this.contextDir, 'Dockerfile')): Promise<ReplayedImage> {
    mkdirSync(CACHE_DIR, { recursive: true });
    for (const stage of parseDockerfile(readFileSync(dockerfile, 'utf8'))) {
      const state = this.startStage(stage);
      for (const instruction of stage.instructions) await this.apply(state, instruction);
      this.stages.push(state);
    }
    const last = this.stages[this.stages.length - 1];
    this.materialize(last);
    this.evictCache();
    return { ...last, cached: this.cached, ran: this.ran };
  }

  private startStage(stage: Stage): StageState {
    const root = path.join(this.scratch, `stage-${stage.index}`);
    rmSync(root, { recursive: true, force: true });
    const parent = this.stages.find((s) => s.stage.name === stage.base);
    const state: StageState = parent
      ? { ...parent, stage, root, pending: [], env: { ...parent.env } }
      : { stage, root, key: hash('FROM', stage.base, process.version), pending: [], workdir: '/', env: {}, user: 'root', entrypoint: [], cmd: [], healthcheck: null };
    if (parent) {
      const from = this.readableRoot(parent);
      state.snapshot = from;
    }
    return state;
  }

  private async apply(s: StageState, ins: Instruction): Promise<void> {
    switch (ins.op) {
      case 'WORKDIR': {
        s.workdir = path.posix.resolve(s.workdir, ins.path);
        const dir = s.workdir;
        s.pending.push(() => mkdirSync(path.join(s.root, dir), { recursive: true }));
        s.key = hash(s.key, 'WORKDIR', dir);
        break;
      }
      case 'ENV':
      case 'ARG': {
        const vars = ins.op === 'ENV' ? ins.vars : ins.value !== undefined ? { [ins.name]: ins.value } : {};
        Object.assign(s.env, vars);
        s.key = hash(s.key, ins.op, JSON.stringify(vars));
        break;
      }
      case 'COPY':
        this.copy(s, ins);
        break;
      case 'RUN':
        await this.run(s, ins);
        break;
      case 'USER':
        s.user = ins.user;
        s.key = hash(s.key, 'USER', ins.user);
        break;
      case 'CMD':
        s.cmd = ins.argv;
        break;
      case 'ENTRYPOINT':
        s.entrypoint = ins.argv;
        s.cmd = []; // as Docker does: an ENTRYPOINT resets the CMD inherited before it
        break;
      case 'HEALTHCHECK':
        s.healthcheck = ins.argv;
        break;
      case 'META':
        break;
    }
  }

  private copy(s: StageState, ins: Extract<Instruction, { op: 'COPY' }>): void {
    const dest = path.posix.resolve(s.workdir, ins.dest);
    const toDir = ins.dest.endsWith('/') || ins.sources.length > 1;
    const plan: Array<{ from: string; to: string }> = [];
    /** Whole directories of an earlier stage: one `cp -a` when the target is new (fast for node_modules). */
    const trees: Array<{ from: string; to: string; files: Array<{ from: string; to: string }> }> = [];
    const hashes: string[] = [];
    const source = ins.from ? this.stages.find((st) => st.stage.name === ins.from || String(st.stage.index) === ins.from) : undefined;
    if (ins.from && !source) throw new Error(`COPY --from=${ins.from}: no such stage before this one`);
    for (const src of ins.sources) {
      let files: string[];
      let base: string;
      const rel = path.posix.normalize(src).replace(/^\/+|\/+$/g, '');
      if (source) {
        base = path.join(this.readableRoot(source), rel);
        if (!existsSync(base)) throw new Error(`${ins.text}: ${src} does not exist in stage ${ins.from}`);
        files = statSync(base).isDirectory() ? walk(base) : [''];
        hashes.push(source.key, rel);
      } else {
        base = path.join(this.contextDir, rel);
        const inside = rel === '.' || rel === '' ? this.contextFiles : this.contextFiles.filter((f) => f === rel || f.startsWith(`${rel}/`));
        if (inside.length === 0) throw new Error(`${ins.text}: ${src} is not in the build context (missing, or excluded by .dockerignore)`);
        const isFile = inside.length === 1 && inside[0] === rel;
        files = isFile ? [''] : inside.map((f) => (rel === '.' || rel === '' ? f : f.slice(rel.length + 1)));
        for (const f of files) {
          const file = path.join(base, f);
          hashes.push(f, String(statSync(file).mode), hash(readFileSync(file).toString('base64')));
        }
      }
      const single = files.length === 1 && files[0] === '';
      const copies = files.map((f) => ({
        from: path.join(base, f),
        to: single ? (toDir ? path.posix.join(dest, path.posix.basename(rel)) : dest) : path.posix.join(dest, f),
      }));
      if (source && !single) trees.push({ from: base, to: dest, files: copies });
      else plan.push(...copies);
    }
    s.key = hash(s.key, 'COPY', ins.text, ...hashes);
    s.pending.push(() => {
      for (const tree of trees) {
        const target = path.join(s.root, tree.to);
        if (existsSync(target)) plan.push(...tree.files);
        else {
          mkdirSync(path.dirname(target), { recursive: true });
          execFileSync('cp', ['-a', tree.from, target]);
        }
      }
      for (const { from, to } of plan) {
        let target = path.join(s.root, to);
        if (existsSync(target) && statSync(target).isDirectory()) target = path.join(target, path.basename(from));
        mkdirSync(path.dirname(target), { recursive: true });
        // Never write into a file the cache may share: replace it, as a new layer would.
        rmSync(target, { force: true });
        copyFileSync(from, target);
        chmodSync(target, statSync(from).mode & 0o7777);
      }
    });
  }

  private async run(s: StageState, ins: Extract<Instruction, { op: 'RUN' }>): Promise<void> {
    if (ins.shell && s.workdir !== '/' && new RegExp(`(^|[\\s=:])${s.workdir}(/|\\s|$)`).test(ins.shell)) {
      throw new Error(`${ins.text}: an absolute path cannot be replayed; use paths relative to WORKDIR ${s.workdir}`);
    }
    s.key = hash(s.key, 'RUN', ins.text);
    const entry = path.join(CACHE_DIR, s.key);
    if (existsSync(entry)) {
      utimesSync(entry, new Date(), new Date());
      s.snapshot = entry;
      s.pending = [];
      this.cached++;
      this.log(`cached: ${ins.text}`);
      return;
    }
    this.materialize(s);
    const started = Date.now();
    const argv = ins.argv ?? ['/bin/sh', '-c', ins.shell!];
    await runCommand(argv, path.join(s.root, s.workdir), { ...buildEnv(), ...s.env }, ins.text);
    this.ran++;
    this.log(`ran in ${((Date.now() - started) / 1000).toFixed(1)} s: ${ins.text}`);
    const tmp = `${entry}.tmp-${process.pid}`;
    execFileSync('cp', ['-a', s.root, tmp]);
    try {
      renameSync(tmp, entry);
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run stored the same step meanwhile
    }
  }

  /** A directory with the stage's files as they stand, to read from (never to write to). */
  private readableRoot(s: StageState): string {
    if (s.snapshot && s.pending.length === 0) return s.snapshot;
    this.materialize(s);
    return s.root;
  }

  private materialize(s: StageState): void {
    if (s.snapshot || !existsSync(s.root)) {
      rmSync(s.root, { recursive: true, force: true });
      // A stage restored from the cache may be the first thing under its parent (a fresh clone).
      mkdirSync(path.dirname(s.root), { recursive: true });
      if (s.snapshot) execFileSync('cp', ['-a', s.snapshot, s.root]);
      else mkdirSync(s.root, { recursive: true });
      chmodSync(s.root, 0o755);
      s.snapshot = undefined;
    }
    for (const step of s.pending.splice(0)) step();
  }

  /** Keeps the newest few cached steps, and any used in the last hour (a parallel run may need them). */
  private evictCache(): void {
    const entries = readdirSync(CACHE_DIR)
      .map((name) => ({ name, mtime: statSync(path.join(CACHE_DIR, name)).mtimeMs }))
      .sort((a, b) => b.mtime - a.mtime);
    for (const [i, e] of entries.entries()) {
      if (i >= CACHE_KEEP && Date.now() - e.mtime > 3_600_000) rmSync(path.join(CACHE_DIR, e.name), { recursive: true, force: true });
    }
  }
}

/** What a RUN sees besides the stage's ENV and ARGs: a shell's basics, npm on this machine's cache. */
function buildEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
  };
}

export function runCommand(argv: string[], cwd: string, env: Record<string, string>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${what}\nexited with ${code ?? signal}:\n${out.slice(-4000)}`));
    });
  });
}

export interface ContainerOptions {
  /** Replaces the image's CMD (as `docker run IMAGE ARGS…` and compose's `command` do). */
  command?: string[];
  env?: Record<string, string>;
  user?: string;
  /** Container path → directory on this machine (named volumes). */
  volumes?: Record<string, string>;
}

/** How to start the image as `docker run` would: ENTRYPOINT + CMD in WORKDIR, as its USER. */
export function containerSpawn(image: ReplayedImage, opts: ContainerOptions = {}) {
  const mounts = Object.entries(opts.volumes ?? {});
  const map = (value: string) => {
    for (const [at, dir] of mounts) if (value === at || value.startsWith(`${at}/`)) return dir + value.slice(at.length);
    return mapPath(image.root, value);
  };
  const argv = [...image.entrypoint, ...(opts.command ?? image.cmd)].map(map);
  const env = Object.fromEntries(Object.entries({ ...image.env, ...opts.env }).map(([k, v]) => [k, map(v)]));
  const user = opts.user ?? image.user;
  const imageUid = IMAGE_USERS[user.split(':')[0]];
  if (imageUid === undefined) throw new Error(`the base image has no user ${user}`);
  // Only root can take another user's id; a developer running the suite unprivileged runs it as self.
  const uid = process.getuid?.() === 0 ? imageUid : process.getuid!();
  return {
    command: argv[0],
    args: argv.slice(1),
    options: {
      cwd: path.join(image.root, image.workdir),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...env },
      uid,
      gid: uid,
    },
    /** The healthcheck, run beside it (as `docker exec` would). */
    healthcheck: image.healthcheck?.map(map),
  };
}
