/**
 * Structured logs with pino: one JSON object a line by default; `pretty` renders a short
 * human-readable line for terminals (no extra dependency).
 */
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger } from "pino";

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Human-readable lines instead of JSON (for a terminal; always on stderr). */
  pretty?: boolean;
  /**
   * Where JSON lines go: stderr (default: a command's stdout carries its results only), or stdout
   * for a long-running `start`, whose log is its output (process supervisors and tests read the
   * `{"ready":true}` line there).
   */
  stream?: "stdout" | "stderr";
  destination?: DestinationStream;
}

const LEVELS: Record<number, string> = { 10: "TRACE", 20: "DEBUG", 30: "INFO", 40: "WARN", 50: "ERROR", 60: "FATAL" };

function prettyStream(out: NodeJS.WritableStream): DestinationStream {
  return {
    write(line: string) {
      try {
        const { level, time, msg, name, pid: _pid, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
        const extra = Object.entries(rest)
          .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
          .join(" ");
        out.write(`${new Date(Number(time)).toISOString().slice(11, 23)} ${LEVELS[Number(level)] ?? level} [${String(name)}] ${String(msg)}${extra ? " " + extra : ""}\n`);
      } catch {
        out.write(line);
      }
    },
  };
}

export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? (options.pretty ? prettyStream(process.stderr) : pino.destination({ dest: options.stream === "stdout" ? 1 : 2, sync: true }));
  return pino({ name: options.name, level: options.level ?? "info", base: { name: options.name } }, destination);
}

/** A logger that drops everything (tests, libraries used without one). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
