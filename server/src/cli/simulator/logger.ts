export interface Logger {
  info(message: string): void;
  /** Per-request problems (non-2xx answers, network errors); silenced by `--quiet`. */
  warn(message: string): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} };

export function consoleLogger(quiet: boolean): Logger {
  return {
    info: (message) => console.log(message),
    warn: quiet ? () => {} : (message) => console.warn(message),
  };
}

/** Bodies of error answers can be whole HTML pages; a line is enough. */
export function clip(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}
