// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function, by package / source
// area, and inclusive time of the project's own functions; dist/*.js positions are mapped back
// to src/*.ts through the build's source maps. Used by scripts/bench.ts, and on its own:
//   tsx scripts/bench-cpuprofile.ts <file.cpuprofile> [top=25]
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Row {
  /** `function<TAB>where` for functions (see `label`), the name for areas. */
  key: string;
  ms: number;
  /** Share of the busy time (everything but idle). */
  pct: number;
}

export interface ProfileSummary {
  file: string;
  /** The time window summarised (all of the profile when none was given or it missed). */
  windowed: boolean;
  wallMs: number;
  busyMs: number;
  idleMs: number;
  samples: number;
  topSelf: Row[];
  byArea: Row[];
  projectInclusive: Row[];
  /** The top native functions (no source: syscalls, V8 builtins), by the nearest caller outside node's internals. */
  nativeCallers: { fn: string; callers: Row[] }[];
}

const ROOT = path.resolve(__dirname, '..');

class SourceMaps {
  private readonly cache = new Map<string, SourceMap | null>();

  /** `dist/x.js` line/col (0-based) → `src/x.ts:line`, or undefined. */
  original(file: string, line: number, col: number): string | undefined {
    let map = this.cache.get(file);
    if (map === undefined) {
      map = null;
      const mapFile = `${file}.map`;
      if (existsSync(mapFile)) {
        try {
          map = new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')));
        } catch {
          map = null;
        }
      }
      this.cache.set(file, map);
    }
    if (!map) return undefined;
    const entry = map.findEntry(line, col) as { originalSource?: string; originalLine?: number };
    if (!entry?.originalSource || entry.originalLine === undefined) return undefined;
    const source = entry.originalSource.startsWith('file:') ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
    return `${path.relative(ROOT, source)}:${entry.originalLine + 1}`;
  }
}

function fileOf(url: string): string | undefined {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (url.startsWith('/')) return url;
  return undefined;
}

/** Where a frame's code lives: a package, node internals, the project, or V8 itself. */
function areaOf(cf: CallFrame): string {
  if (!cf.url) {
    if (cf.functionName.startsWith('(')) return cf.functionName; // (garbage collector), (program), (idle)
    return '(native)';
  }
  if (cf.url.startsWith('node:')) return `node:${cf.url.slice(5).split('/')[0]}`;
  const file = fileOf(cf.url);
  if (!file) return cf.url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('dist/')) {
    const parts = rel.split('/');
    return `project: src/${parts.length > 2 ? parts[1] : parts[1].replace(/\.js$/, '')}`;
  }
  return rel;
}

function shortLocation(cf: CallFrame, maps: SourceMaps): string {
  if (!cf.url) return '';
  if (cf.url.startsWith('node:')) return `${cf.url}:${cf.lineNumber + 1}`;
  const file = fileOf(cf.url);
  if (!file) return cf.url;
  const nm = file.lastIndexOf('/node_modules/');
  if (nm >= 0) return `${file.slice(nm + '/node_modules/'.length)}:${cf.lineNumber + 1}`;
  const rel = path.relative(ROOT, file);
  if (rel.startsWith('dist/')) return maps.original(file, cf.lineNumber, cf.columnNumber) ?? `${rel}:${cf.lineNumber + 1}`;
  return `${rel}:${cf.lineNumber + 1}`;
}

/**
 * `window`: only samples taken between these two instants, in microseconds of the monotonic clock
 * (`process.hrtime.bigint() / 1000n` in any process of this machine: V8 stamps profiles with the
 * same CLOCK_MONOTONIC), e.g. the measured run without the service's start-up.
 */
export function summarizeProfile(file: string, top = 25, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const maps = new SourceMaps();
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of profile.nodes) byId.set(n.id, n);
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const stamps: number[] = [];
  let t = profile.startTime;
  for (const dt of profile.timeDeltas) stamps.push((t += dt));
  let from = -Infinity;
  let to = Infinity;
  const windowed = !!window && stamps.some((s) => s >= window.fromUs && s <= window.toUs);
  if (windowed) ({ fromUs: from, toUs: to } = window!);

  const selfUs = new Map<number, number>();
  let samples = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    if (stamps[i] < from || stamps[i] > to) continue;
    samples++;
    // timeDeltas[i] is the time since the previous sample: the time spent where sample i landed
    // is best approximated by the next delta.
    const dt = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, dt));
  }

  const keyOf = new Map<number, string>();
  const key = (n: ProfileNode) => {
    let k = keyOf.get(n.id);
    if (k === undefined) {
      const cf = n.callFrame;
      const loc = shortLocation(cf, maps);
      k = `${cf.functionName || '(anonymous)'}${loc ? `\t${loc}` : ''}`;
      keyOf.set(n.id, k);
    }
    return k;
  };
  const isProject = (n: ProfileNode) => {
    const f = fileOf(n.callFrame.url);
    return !!f && !f.includes('/node_modules/') && path.relative(ROOT, f).startsWith('dist/');
  };

  const self = new Map<string, number>();
  const selfNodes = new Map<string, number[]>();
  const area = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idle = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    total += us;
    if (n.callFrame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    self.set(key(n), (self.get(key(n)) ?? 0) + us);
    if (!n.callFrame.url && !n.callFrame.functionName.startsWith('(')) {
      const list = selfNodes.get(key(n)) ?? [];
      list.push(id);
      selfNodes.set(key(n), list);
    }
    const a = areaOf(n.callFrame);
    area.set(a, (area.get(a) ?? 0) + us);
    // Inclusive time of project functions: each sample counts once per distinct function on its stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!;
      if (!isProject(node)) continue;
      const k = key(node);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const busy = total - idle;
  const rows = (m: Map<string, number>, limit: number): Row[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([k, us]) => ({ key: k, ms: us / 1000, pct: busy > 0 ? (100 * us) / busy : 0 }));
  // Who calls the heaviest natives: the nearest frame that is not node's own code.
  const nativeCallers = [...selfNodes.entries()]
    .sort((a, b) => (self.get(b[0]) ?? 0) - (self.get(a[0]) ?? 0))
    .slice(0, 3)
    .map(([fn, ids]) => {
      const callers = new Map<string, number>();
      for (const id of ids) {
        let cur = parent.get(id);
        while (cur !== undefined) {
          const cf = byId.get(cur)!.callFrame;
          if (cf.url && !cf.url.startsWith('node:')) break;
          cur = parent.get(cur);
        }
        const k = cur === undefined ? '(node internals)' : key(byId.get(cur)!);
        callers.set(k, (callers.get(k) ?? 0) + (selfUs.get(id) ?? 0));
      }
      return { fn, callers: rows(callers, 5) };
    });
  return {
    file,
    windowed,
    wallMs: total / 1000,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    samples,
    topSelf: rows(self, top),
    byArea: rows(area, 15),
    projectInclusive: rows(inclusive, 15),
    nativeCallers,
  };
}

/** A row key as text: `function where`. */
export const label = (key: string): string => key.replace('\t', ' ');

export function formatSummary(s: ProfileSummary): string {
  const lines: string[] = [];
  const table = (title: string, rows: Row[]) => {
    lines.push(title);
    for (const r of rows) lines.push(`  ${r.pct.toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(6)} ms  ${label(r.key)}`);
  };
  lines.push(`${s.file}${s.windowed ? ' (measured window)' : ''}: wall ${(s.wallMs / 1000).toFixed(1)} s, busy ${(s.busyMs / 1000).toFixed(1)} s (${((100 * s.busyMs) / s.wallMs).toFixed(0)}% of one core), ${s.samples} samples`);
  table('self time by function (share of busy time):', s.topSelf);
  table('self time by package / area:', s.byArea);
  table('inclusive time of the project\'s functions:', s.projectInclusive);
  for (const n of s.nativeCallers) table(`${label(n.fn)}, by caller:`, n.callers);
  return lines.join('\n');
}

if (require.main === module) {
  const [file, top] = process.argv.slice(2);
  if (!file) {
    console.error('usage: tsx scripts/bench-cpuprofile.ts <file.cpuprofile> [top=25]');
    process.exit(2);
  }
  console.log(formatSummary(summarizeProfile(file, top ? Number(top) : 25)));
}
