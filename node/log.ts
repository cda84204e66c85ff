// Structured logging (pino). One root logger; modules take a child with their name. On a terminal the lines
// are pretty-printed for a person (pino-pretty); otherwise (files, pipes, collectors) one JSON object a line.
// ROLLBOOK_LOG_FORMAT=json|pretty overrides the choice.
import { pino, type Logger } from "pino";
import pretty from "pino-pretty";

export type { Logger };

const format = process.env.ROLLBOOK_LOG_FORMAT ?? (process.stdout.isTTY ? "pretty" : "json");

export const rootLogger: Logger = pino(
  {
    level: process.env.ROLLBOOK_LOG_LEVEL ?? "info",
    base: { app: "rollbook" },
    timestamp: pino.stdTimeFunctions.isoTime,
  },
  format === "pretty" ? pretty({ colorize: true, sync: true, ignore: "app,pid,hostname", translateTime: "SYS:HH:MM:ss.l" }) : undefined,
);

/** A child logger tagged with the module name. */
export function moduleLogger(module: string): Logger {
  return rootLogger.child({ module });
}
