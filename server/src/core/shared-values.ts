/** Distinct values kept; past this a value is used as it is (a fleet of unique values gains nothing from sharing). */
const MAX_SHARED = 1_000;

/**
 * One copy of each detail value that many sensors report alike (their capability list, their
 * scanner versions): records point to it instead of each holding its own, which at a million
 * sensors is a tenth of a gigabyte. Records never change such a value in place (a change puts a
 * new value in the record), so sharing one cannot leak a change into another record.
 */
export class SharedValues {
  private readonly byJson = new Map<string, unknown>();

  share<T>(value: T): T {
    const json = JSON.stringify(value);
    const known = this.byJson.get(json);
    if (known !== undefined) return known as T;
    if (this.byJson.size < MAX_SHARED) this.byJson.set(json, value);
    return value;
  }
}
