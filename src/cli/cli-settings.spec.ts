// Where the CLI connects and how it prints, without a server: the seed's defaults and formats.
import { CliError, CliIo } from './cli-io';
import { Invocation } from './command';
import { connect, DEFAULT_BASE_URL } from './connection';
import { pythonJson, pyValue } from './output';

const io = (env: Record<string, string | undefined>): CliIo => ({ out: () => undefined, err: () => undefined, env });
const inv = (values: Invocation['values'], env: Record<string, string | undefined> = {}): Invocation => ({ values, positionals: [], io: io(env), help: '' });

describe('connect', () => {
  it('defaults to http://127.0.0.1:8787, then CAP_BASE_URL, then --base-url wins; trailing slashes go', () => {
    expect(DEFAULT_BASE_URL).toBe('http://127.0.0.1:8787');
    expect(connect(inv({})).baseUrl).toBe('http://127.0.0.1:8787');
    expect(connect(inv({}, { CAP_BASE_URL: 'http://sg.internal:9000/' })).baseUrl).toBe('http://sg.internal:9000');
    expect(connect(inv({ 'base-url': 'https://sg.example.com//' }, { CAP_BASE_URL: 'http://x' })).baseUrl).toBe('https://sg.example.com');
    // An empty value falls through, as Python's `value or env or default` did.
    expect(connect(inv({ 'base-url': '' }, { CAP_BASE_URL: '' })).baseUrl).toBe(DEFAULT_BASE_URL);
  });

  it('needs a key in hosted mode (CAP_MODE is trimmed and case-insensitive), from --api-key or CAP_API_KEY', () => {
    expect(() => connect(inv({}, { CAP_MODE: ' Hosted ' }))).toThrow(new CliError('Hosted mode requires API key via --api-key or CAP_API_KEY'));
    expect(() => connect(inv({ 'api-key': 'k' }, { CAP_MODE: 'hosted' }))).not.toThrow();
    expect(() => connect(inv({}, { CAP_MODE: 'hosted', CAP_API_KEY: 'k' }))).not.toThrow();
    expect(() => connect(inv({}, { CAP_MODE: 'sidecar' }))).not.toThrow();
  });

  it('refuses a CAP_CLI_TIMEOUT_MS that is not a positive integer', () => {
    expect(() => connect(inv({}, { CAP_CLI_TIMEOUT_MS: 'soon' }))).toThrow(/CAP_CLI_TIMEOUT_MS/);
    expect(() => connect(inv({}, { CAP_CLI_TIMEOUT_MS: '5000' }))).not.toThrow();
  });
});

describe('output', () => {
  it("prints values as the seed's Python str() did", () => {
    expect([null, undefined, true, false, 0, 'x', ['a', 'b']].map(pyValue)).toEqual(['None', 'None', 'True', 'False', '0', 'x', 'a,b']);
  });

  it('writes JSON as json.dumps(indent=2, sort_keys=True): nested keys sorted, non-ASCII escaped', () => {
    expect(pythonJson({ b: 1, a: { d: [], c: {} }, 'é': 'ü😀' })).toBe(
      '{\n  "a": {\n    "c": {},\n    "d": []\n  },\n  "b": 1,\n  "\\u00e9": "\\u00fc\\ud83d\\ude00"\n}',
    );
  });
});
