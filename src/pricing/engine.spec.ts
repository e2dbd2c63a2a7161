import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ENGINE_VERSION } from './engine';

it('reports the version package.json declares', () => {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
  expect(ENGINE_VERSION).toBe(pkg.version);
});
