import { compareSemVer, parseSemVer, semVerInRange } from './semver';

describe('semver', () => {
  const cmp = (a: string, b: string) => Math.sign(compareSemVer(parseSemVer(a)!, parseSemVer(b)!));

  it('orders by semver precedence', () => {
    const ordered = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0', '1.0.1', '1.2.0', '2.0.0', '10.0.0'];
    for (let i = 0; i + 1 < ordered.length; i++) expect(cmp(ordered[i], ordered[i + 1])).toBe(-1);
    expect(cmp('1.0.0+build.5', '1.0.0')).toBe(0);
  });

  it('checks an inclusive range', () => {
    expect(semVerInRange('0.1.0', '0.1.0', '9.9.9')).toBe(true);
    expect(semVerInRange('9.9.9', '0.1.0', '9.9.9')).toBe(true);
    expect(semVerInRange('10.0.0', '0.1.0', '9.9.9')).toBe(false);
    expect(semVerInRange('0.0.9', '0.1.0', '9.9.9')).toBe(false);
    expect(semVerInRange('0.1.0-rc.1', '0.1.0', '9.9.9')).toBe(false);
  });

  it('refuses what is not a semantic version', () => {
    expect(parseSemVer('1.0')).toBeUndefined();
    expect(parseSemVer('01.0.0')).toBeUndefined();
    expect(semVerInRange('1.0.0', 'latest', '9.9.9')).toBe(false);
  });
});
