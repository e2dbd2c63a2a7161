// One log format for the whole process (pino's JSON lines): Fastify's request lines, Nest's and our
// modules' lines (through PinoNestLogger) and the boot lines of main.ts all go through one pino
// logger, so `jq` reads every line alike. Keys and prompts never reach it (SPEC §7).
import type { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';
import type { AppConfig } from '../../config/config.schema';

export type RootLogger = Logger;

export function createRootLogger(level: AppConfig['logLevel'], destination?: pino.DestinationStream): RootLogger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["x-goog-api-key"]'], remove: true },
    },
    destination,
  );
}

/**
 * Nest's start-up chatter (a line per module and per mapped route) is for whoever debugs the
 * wiring, not for every boot: it goes to `debug`.
 */
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

/** Nest's LoggerService over the root pino logger: `new Logger('proxy').warn({...})` is a pino line with `context: "proxy"`. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly root: RootLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = contextOf(rest);
    this.write(context && BOOT_CONTEXTS.has(context) ? 'debug' : 'info', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    // Nest passes (message, stack?, context?).
    const context = contextOf(rest);
    const stack = rest.length > 1 && typeof rest[0] === 'string' ? rest[0] : undefined;
    this.write('error', message, context, stack);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, contextOf(rest));
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, contextOf(rest));
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, contextOf(rest));
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, contextOf(rest));
  }

  private write(level: pino.Level, message: unknown, context?: string, stack?: string): void {
    if (!this.root.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (stack) fields.stack = stack;
    if (message !== null && typeof message === 'object' && !(message instanceof Error)) {
      this.root[level]({ ...fields, ...(message as Record<string, unknown>) });
    } else if (message instanceof Error) {
      this.root[level]({ ...fields, err: message }, message.message);
    } else {
      this.root[level](fields, String(message));
    }
  }
}

const contextOf = (rest: unknown[]): string | undefined => {
  const last = rest.at(-1);
  return typeof last === 'string' ? last : undefined;
};
