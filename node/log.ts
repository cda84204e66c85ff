// Structured logging (pino). One root logger; modules take a child with their name. On a terminal the lines
// are pretty-printed for a person (pino-pretty); otherwise (files, pipes, collectors) one JSON object a line.
// ROLLBOOK_LOG_FORMAT=json|pretty overrides the choice.
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

const format = process.env.ROLLBOOK_LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json");
// An unknown ROLLBOOK_LOG_LEVEL must not crash here, at import, with pino's stack trace: the logger starts at
// info and node/config.ts reports the bad value with its key (log.level) like any other configuration problem.
const envLevel = process.env.ROLLBOOK_LOG_LEVEL;
const level = envLevel !== undefined && Object.hasOwn(pino.levels.values, envLevel) ? envLevel : "info";

export const rootLogger: Logger = pino(
  {
    level,
    base: { app: "rollbook" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  format === "pretty" ? pretty({ colorize: true, sync: true, ignore: "app,pid,hostname", translateTime: "SYS:HH:MM:ss.l" }) : undefined,
);

/** A child logger tagged with the module name. */
export function moduleLogger(module: string): Logger {
  return rootLogger.child({ module });
}
