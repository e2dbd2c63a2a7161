// Reads a Dockerfile into stages of instructions, as BuildKit would: continuation lines, comments,
// exec (JSON) and shell forms, flags, ARG/ENV substitution. Only what a replay needs; anything it
// does not understand is an error, never skipped (test/support/image-replay.ts replays the result).

export type Instruction =
  | { op: 'WORKDIR'; path: string }
  | { op: 'ENV'; vars: Record<string, string> }
  | { op: 'ARG'; name: string; value?: string }
  | { op: 'COPY'; from?: string; sources: string[]; dest: string; text: string }
  | { op: 'RUN'; argv?: string[]; shell?: string; text: string }
  | { op: 'USER'; user: string }
  | { op: 'CMD' | 'ENTRYPOINT'; argv: string[] }
  | { op: 'HEALTHCHECK'; argv: string[] | null; options: Record<string, string> }
  | { op: 'META'; text: string };

export interface Stage {
  index: number;
  name?: string;
  /** An image reference, or the name of an earlier stage it builds on. */
  base: string;
  instructions: Instruction[];
}

/** Words of a shell-like line: whitespace-separated, with '…' and "…" quoting and \ escapes. */
export function words(text: string): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      cur ??= '';
    } else if (c === '\\' && i + 1 < text.length) {
      cur = (cur ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (cur !== null) out.push(cur);
      cur = null;
    } else {
      cur = (cur ?? '') + c;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${text}`);
  if (cur !== null) out.push(cur);
  return out;
}

/** $NAME, ${NAME}, ${NAME:-default} and ${NAME:+alternative}, as BuildKit substitutes them. */
export function substitute(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced, mod, alt, bare) => {
    const value = vars[braced ?? bare];
    if (mod === '-') return value ? value : alt;
    if (mod === '+') return value ? alt : '';
    return value ?? '';
  });
}

function execOrShell(rest: string): { argv?: string[]; shell?: string } {
  if (rest.startsWith('[')) return { argv: JSON.parse(rest) as string[] };
  return { shell: rest };
}

/** Leading --name=value flags, and what follows them. */
function flags(rest: string): { flags: Record<string, string>; rest: string } {
  const found: Record<string, string> = {};
  let text = rest;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(text); m; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(text)) {
    found[m[1]] = m[2] ?? 'true';
    text = text.slice(m[0].length);
  }
  return { flags: found, rest: text.trim() };
}

/** Logical lines: comments dropped (also inside continuations), `\` continuations joined. */
function logicalLines(source: string): string[] {
  const lines: string[] = [];
  let pending = '';
  for (const raw of source.split('\n')) {
    if (/^\s*#/.test(raw)) continue;
    if (raw.includes('<<') && /<<-?\s*["']?[A-Z]+/.test(raw)) throw new Error(`heredocs are not replayed: ${raw}`);
    const cont = /\\\s*$/.test(raw);
    pending += cont ? raw.replace(/\\\s*$/, ' ') : raw;
    if (!cont) {
      if (pending.trim()) lines.push(pending.trim());
      pending = '';
    }
  }
  if (pending.trim()) lines.push(pending.trim());
  return lines;
}

export function parseDockerfile(source: string): Stage[] {
  const stages: Stage[] = [];
  const globalArgs: Record<string, string> = {};
  let vars: Record<string, string> = {};
  for (const line of logicalLines(source)) {
    const [, opRaw, restRaw] = /^(\S+)\s*([\s\S]*)$/.exec(line)!;
    const op = opRaw.toUpperCase();
    const stage = stages[stages.length - 1];
    if (op !== 'FROM' && op !== 'ARG' && !stage) throw new Error(`${op} before the first FROM`);
    const { flags: f, rest } = flags(restRaw);
    const sub = (t: string) => substitute(t, vars);
    switch (op) {
      case 'FROM': {
        const [image, as, name] = words(substitute(rest, globalArgs));
        if (as && as.toLowerCase() !== 'as') throw new Error(`cannot read: ${line}`);
        stages.push({ index: stages.length, name, base: image, instructions: [] });
        vars = {};
        break;
      }
      case 'ARG': {
        const [, name, value] = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(rest) ?? [];
        if (!name) throw new Error(`cannot read: ${line}`);
        const resolved = value !== undefined ? substitute(words(value).join(' '), vars) : globalArgs[name];
        if (!stage) globalArgs[name] = resolved ?? '';
        else {
          if (resolved !== undefined) vars[name] = resolved;
          stage.instructions.push({ op: 'ARG', name, value: resolved });
        }
        break;
      }
      case 'ENV': {
        const parts = words(rest);
        const set: Record<string, string> = {};
        if (parts.length > 0 && !parts[0].includes('=')) set[parts[0]] = sub(rest.slice(rest.indexOf(parts[0]) + parts[0].length).trim());
        else for (const p of parts) set[p.slice(0, p.indexOf('='))] = sub(p.slice(p.indexOf('=') + 1));
        Object.assign(vars, set);
        stage.instructions.push({ op: 'ENV', vars: set });
        break;
      }
      case 'WORKDIR':
        stage.instructions.push({ op: 'WORKDIR', path: sub(rest) });
        break;
      case 'COPY':
      case 'ADD': {
        const list = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : words(rest);
        const all = list.map(sub);
        if (op === 'ADD' && all.some((s) => /^[a-z]+:\/\//.test(s))) throw new Error(`ADD of a URL is not replayed: ${line}`);
        if (all.slice(0, -1).some((s) => /[*?[]/.test(s))) throw new Error(`wildcards are not replayed: ${line}`);
        stage.instructions.push({ op: 'COPY', from: f.from, sources: all.slice(0, -1), dest: all[all.length - 1], text: line });
        break;
      }
      case 'RUN':
        stage.instructions.push({ op: 'RUN', ...execOrShell(rest), text: line });
        break;
      case 'USER':
        stage.instructions.push({ op: 'USER', user: sub(rest) });
        break;
      case 'CMD':
      case 'ENTRYPOINT': {
        const form = execOrShell(rest);
        stage.instructions.push({ op, argv: form.argv ?? ['/bin/sh', '-c', form.shell!] });
        break;
      }
      case 'HEALTHCHECK': {
        if (/^NONE$/i.test(rest)) stage.instructions.push({ op: 'HEALTHCHECK', argv: null, options: f });
        else {
          const form = execOrShell(rest.replace(/^CMD\s+/i, ''));
          stage.instructions.push({ op: 'HEALTHCHECK', argv: form.argv ?? ['/bin/sh', '-c', form.shell!], options: f });
        }
        break;
      }
      case 'EXPOSE':
      case 'LABEL':
      case 'STOPSIGNAL':
        stage.instructions.push({ op: 'META', text: line });
        break;
      default:
        throw new Error(`the replay does not know ${op}: ${line}`);
    }
  }
  return stages;
}
