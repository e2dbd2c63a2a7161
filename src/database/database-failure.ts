// One clear line when PostgreSQL cannot be used at boot: which setting points at it, where (no
// password), what went wrong, and what to check — not a bare `connect ECONNREFUSED`.

const HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: is PostgreSQL running, and is the port right?',
  ENOTFOUND: 'that host name does not resolve',
  EAI_AGAIN: 'that host name does not resolve (DNS)',
  ETIMEDOUT: 'no answer: a firewall, or the wrong host',
  EHOSTUNREACH: 'the host cannot be reached',
  '28P01': 'the password was refused',
  '28000': 'this user may not connect (pg_hba.conf)',
  '3D000': 'that database does not exist: create it, or name another in the URL',
};

export function describeDatabaseFailure(err: unknown, setting: string, url: string): string {
  const code = (err as { code?: string })?.code ?? '';
  const message = err instanceof Error ? err.message : String(err);
  let where = 'an unparsable URL';
  try {
    const u = new URL(url);
    where = `${u.protocol}//${u.username ? `${u.username}@` : ''}${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    // keep the placeholder: the URL itself may hold a password
  }
  const hint = HINTS[code] ?? 'check the URL and that PostgreSQL is reachable from here';
  return `cannot use the PostgreSQL of ${setting} (${where}): ${message} — ${hint}`;
}
