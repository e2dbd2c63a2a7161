// What a command may touch: its output streams and environment (so tests can drive commands).
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

/** A mistake in how the command was called: exit 2 with the help that applies. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly help: string,
  ) {
    super(message);
  }
}

/** A failure to report as is on stderr, with exit 1 (the seed's `CliError`). */
export class CliError extends Error {}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  env: process.env,
};
