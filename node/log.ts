// Structured logging (pino). One root logger; modules take a child with their name.
import { pino, type Logger } from "pino";

export type { Logger };

export const rootLogger: Logger = pino({
  level: process.env.ROLLBOOK_LOG_LEVEL ?? "info",
  base: { app: "rollbook" },
  timestamp: pino.stdTimeFunctions.isoTime,
});

/** A child logger tagged with the module name. */
export function moduleLogger(module: string): Logger {
  return rootLogger.child({ module });
}
