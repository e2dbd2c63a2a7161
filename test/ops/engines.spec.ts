// `engines.node` in package.json is a promise (README: the Node versions we run on). npm prints
// EBADENGINE on `npm install` when a locked package does not run on a Node our range admits, so
// our range must lie inside every locked package's own range; and the suite must run on it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';

const ROOT = path.join(__dirname, '../..');
const ours: string = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).engines.node;
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
};

describe('engines.node', () => {
  it('admits only Node versions that every locked package supports (no EBADENGINE on npm install)', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([name]) => name !== '')
      .map(([name, pkg]) => ({ name, range: Array.isArray(pkg.engines) ? undefined : pkg.engines?.node, version: pkg.version }))
      .filter(({ range }) => range !== undefined && !semver.subset(ours, range, { includePrerelease: false }))
      .map(({ name, range, version }) => `${name.replace(/^.*node_modules\//, '')}@${version} wants node ${range}`);
    expect(refusing).toEqual([]);
  });

  it('admits the Node this suite runs on', () => {
    expect(semver.satisfies(process.version, ours)).toBe(true);
  });
});
