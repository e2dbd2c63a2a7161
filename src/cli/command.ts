// How a `spendguard` command is declared: its words, options (with what they mean), examples and
// what it does. This file turns that into strict argument parsing (node's util.parseArgs), the
// `--help` of every command and group, and usage errors (exit 2), the way argparse did for the seed.
import { parseArgs } from 'node:util';
import { CliIo, UsageError } from './cli-io';

export interface OptionDef {
  type: 'string' | 'boolean';
  /** Placeholder of the value in the help, e.g. ID. */
  value?: string;
  description: string;
  required?: boolean;
  short?: string;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export interface Invocation {
  values: OptionValues;
  positionals: string[];
  io: CliIo;
  help: string;
}

export interface Command {
  /** The words that call it, e.g. `agent create`. */
  name: string;
  summary: string;
  /** More lines for the help, after the summary. */
  details?: string;
  options: Record<string, OptionDef>;
  /** Talks to the service: takes --base-url, --api-key and --json. */
  api: boolean;
  /** Usage text of the positional arguments; without it none are accepted. */
  positionals?: string;
  examples: string[];
  run(inv: Invocation): Promise<number> | number;
}

export interface Group {
  name: string;
  summary: string;
  commands: Command[];
  /** Groups one word further in (`group budget` in `group`): their commands are listed here too. */
  groups?: Group[];
}

/** Every command of a group, its subgroups' included. */
function allCommands(group: Group): Command[] {
  return [...group.commands, ...(group.groups ?? []).flatMap(allCommands)];
}

export const API_OPTIONS: Record<string, OptionDef> = {
  'base-url': { type: 'string', value: 'URL', description: 'the service (env CAP_BASE_URL, default http://127.0.0.1:8787)' },
  'api-key': { type: 'string', value: 'KEY', description: 'sent as x-api-key (env CAP_API_KEY; required when CAP_MODE=hosted)' },
  json: { type: 'boolean', description: "print the server's JSON instead of key=value lines" },
};
const HELP_OPTION: Record<string, OptionDef> = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

function allOptions(cmd: Command): Record<string, OptionDef> {
  return { ...cmd.options, ...(cmd.api ? API_OPTIONS : {}), ...HELP_OPTION };
}

function optionLines(options: Record<string, OptionDef>): string[] {
  const rows = Object.entries(options).map(([name, def]) => {
    const flag = `${def.short ? `-${def.short}, ` : ''}--${name}${def.value ? ` ${def.value}` : ''}`;
    return [flag, `${def.required ? '(required) ' : ''}${def.description}`];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

function usageLine(cmd: Command): string {
  const opts = Object.entries(cmd.options).map(([name, def]) => {
    const text = `--${name}${def.value ? ` ${def.value}` : ''}`;
    return def.required ? text : `[${text}]`;
  });
  return ['spendguard', cmd.name, ...(cmd.positionals ? [cmd.positionals] : []), ...opts, ...(cmd.api ? ['[--json]'] : [])].join(' ');
}

export function commandHelp(cmd: Command): string {
  return [
    `usage: ${usageLine(cmd)}`,
    '',
    cmd.summary,
    ...(cmd.details ? ['', cmd.details] : []),
    '',
    'Options:',
    ...optionLines(allOptions(cmd)),
    '',
    'Examples:',
    ...cmd.examples.map((e) => `  ${e}`),
  ].join('\n');
}

export function groupHelp(group: Group): string {
  const commands = allCommands(group);
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `usage: spendguard ${group.name} <command> [options]`,
    '',
    group.summary,
    '',
    'Commands:',
    ...commands.map((c) => `  spendguard ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run \`spendguard ${group.name} <command> --help\` for the options and examples of each.`,
  ].join('\n');
}

export async function runCommand(cmd: Command, args: string[], io: CliIo): Promise<number> {
  const help = commandHelp(cmd);
  const spec = allOptions(cmd);
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: negativeValuesJoined(args, spec),
      options: Object.fromEntries(Object.entries(spec).map(([name, def]) => [name, { type: def.type, ...(def.short ? { short: def.short } : {}) }])),
      allowPositionals: cmd.positionals !== undefined,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (err) {
    throw new UsageError((err as Error).message, help);
  }
  if (parsed.values.help) {
    io.out(help);
    return 0;
  }
  const missing = Object.entries(cmd.options).filter(([name, def]) => def.required && parsed.values[name] === undefined);
  if (missing.length) throw new UsageError(`the following arguments are required: ${missing.map(([n]) => `--${n}`).join(', ')}`, help);
  return cmd.run({ ...parsed, io, help });
}

/**
 * `--limit -5` is an option and its (negative) value, as argparse reads it for the seed's users;
 * parseArgs would take `-5` for an option of its own ("argument is ambiguous"). Joined as
 * `--limit=-5`, the value reaches the command's own check, which says what is wrong with it.
 */
function negativeValuesJoined(args: string[], spec: Record<string, OptionDef>): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : undefined;
    const next = args[i + 1];
    if (name && spec[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(args[i]);
  }
  return out;
}

/** `spendguard <group> <command> …`; the group alone prints its help and exits 2, as the seed did. */
export async function runGroup(group: Group, args: string[], io: CliIo): Promise<number> {
  const [word, ...rest] = args;
  if (word === undefined || word === '--help' || word === '-h') {
    io.out(groupHelp(group));
    return word === undefined ? 2 : 0;
  }
  const sub = group.groups?.find((g) => g.name === `${group.name} ${word}`);
  if (sub) return runGroup(sub, rest, io);
  const cmd = group.commands.find((c) => c.name === `${group.name} ${word}`);
  if (!cmd) throw new UsageError(`unknown command '${group.name} ${word}'`, groupHelp(group));
  return runCommand(cmd, rest, io);
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** An integer option of at least `min` (argparse's wording for the seed's checks). */
export function intOption(inv: Invocation, name: string, min: number): number | undefined {
  const raw = stringOption(inv.values, name);
  if (raw === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`argument --${name}: must be an integer`, inv.help);
  }
  const value = Number(raw);
  if (value < min) throw new UsageError(`argument --${name}: must be ${min === 0 ? '>= 0' : `> ${min - 1}`}`, inv.help);
  return value;
}
