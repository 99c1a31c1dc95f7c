/**
 * Sets a key read from a file as an own, enumerable property. Plain assignment would treat a key
 * named `__proto__` (a dotenv line, a key file) as the prototype setter and silently drop it.
 */
export function setOwn(record: Record<string, string>, key: string, value: string): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}
