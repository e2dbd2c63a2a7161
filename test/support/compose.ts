// docker-compose.yml as `docker compose` reads it: YAML, then ${…} interpolation from the
// environment of whoever runs it (a new user's: nothing set), for the parts the specs check.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface ComposeService {
  build?: string | { context: string };
  image?: string;
  user?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
  restart?: string;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?err}, ${NAME:+alt}. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$(\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, dollar, name, op, arg, bare) => {
    if (dollar === '$') return '$';
    const value = env[name ?? bare];
    const set = value !== undefined && (op?.startsWith(':') ? value !== '' : true);
    switch (op) {
      case ':-':
      case '-':
        return set ? value! : arg;
      case ':?':
      case '?':
        if (!set) throw new Error(`compose: ${name} is required: ${arg}`);
        return value!;
      case ':+':
      case '+':
        return set ? arg : '';
      default:
        return value ?? '';
    }
  });
}

function interpolateAll(node: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((n) => interpolateAll(n, env));
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateAll(v, env)]));
  return node;
}

export function loadCompose(file: string, env: Record<string, string | undefined> = {}): ComposeFile {
  return interpolateAll(parse(readFileSync(file, 'utf8')), env) as ComposeFile;
}

/** A service's environment as the container gets it (list or map form; null means unset). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const entries = Array.isArray(service.environment)
    ? service.environment.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as const)
    : Object.entries(service.environment ?? {}).filter(([, v]) => v !== null).map(([k, v]) => [k, String(v)] as const);
  return Object.fromEntries(entries);
}

/** Named volumes a service mounts: container path → volume name. */
export function serviceVolumes(service: ComposeService): Record<string, string> {
  return Object.fromEntries((service.volumes ?? []).map((v) => v.split(':')).map(([name, at]) => [at, name]));
}
