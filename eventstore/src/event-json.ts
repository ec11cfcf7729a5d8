import { InvalidEvent } from './errors.js';

/** Serialises an event's data or metadata, refusing what JSON cannot carry. */
export function toJson(eventType: string, field: string, value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    throw new InvalidEvent(eventType, `${field} is not JSON-serialisable: ${(error as Error).message}`);
  }
  // JSON.stringify returns undefined for functions and symbols.
  if (json === undefined) throw new InvalidEvent(eventType, `${field} is not JSON-serialisable`);
  return json;
}
