// The build context `docker build .` gets on a fresh clone: the files git knows (tracked, or new
// and not git-ignored; never node_modules, dist/ or src/generated that a developer's checkout
// has), less what .dockerignore excludes. Patterns as Docker reads them: relative to the context,
// `*`, `?`, `**`, `!` exceptions, the last matching pattern wins, and a pattern that matches a
// directory matches everything under it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function dockerignore(text: string): (file: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = path.posix.normalize((negate ? l.slice(1) : l).trim()).replace(/^\/+|\/+$/g, '');
      return { negate, re: globToRegExp(pattern) };
    });
  return (file) => {
    const parents = file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) if (parents.some((p) => rule.re.test(p))) excluded = !rule.negate;
    return excluded;
  };
}

/** Context-relative paths (posix) of every file in the build context. */
export function buildContext(root: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 64 << 20 })
    .toString()
    .split('\0')
    .filter(Boolean);
  const ignoreFile = path.join(root, '.dockerignore');
  const ignored = existsSync(ignoreFile) ? dockerignore(readFileSync(ignoreFile, 'utf8')) : () => false;
  return [...new Set(listed)].filter((f) => existsSync(path.join(root, f)) && !ignored(f)).sort();
}
