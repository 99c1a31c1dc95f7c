// `instanceof Secret` across two installed copies: after vi.resetModules() each import evaluates
// the module afresh, as an app with @leasehold/core nested under @leasehold/pg would.
import { describe, expect, it, vi } from 'vitest';
import type * as SecretModule from './secret.js';
import type { Source } from './source.js';

async function loadCopy(): Promise<typeof SecretModule> {
  vi.resetModules();
  return import('./secret.js');
}

const source = (): Source<string> => ({
  kind: 'test',
  name: 'test/brand',
  start: () => undefined,
  refresh: () => Promise.resolve(),
  close: () => Promise.resolve(),
});

describe('Secret across two installed copies', () => {
  it("recognises the other copy's secrets as Secret, both ways", async () => {
    const first = await loadCopy();
    const second = await loadCopy();
    expect(first.Secret).not.toBe(second.Secret);
    const fromSecond = new second.Secret(source());
    const fromFirst = new first.Secret(source());
    // The prototype chains really are separate: only the brand can make instanceof hold.
    expect(Object.getPrototypeOf(fromSecond)).not.toBe(first.Secret.prototype);
    expect(fromSecond instanceof first.Secret).toBe(true);
    expect(fromFirst instanceof second.Secret).toBe(true);
    await Promise.all([fromFirst.close(), fromSecond.close()]);
  });

  it('refuses look-alikes: an object with the same methods, a plain object, null, a string', async () => {
    const { Secret } = await loadCopy();
    const lookalike = { name: 'x', ready: () => undefined, current: () => undefined, health: () => undefined };
    for (const value of [lookalike, {}, null, undefined, 'secret', Object.create(Secret.prototype) as object]) {
      expect(value instanceof Secret).toBe(false);
    }
  });

  it('keeps the brand out of enumeration', async () => {
    const { Secret } = await loadCopy();
    const secret = new Secret(source());
    expect(Object.getOwnPropertySymbols(secret).filter((symbol) => Object.prototype.propertyIsEnumerable.call(secret, symbol))).toEqual([]);
    await secret.close();
  });

  it('lets a subclass keep the ordinary prototype check', async () => {
    const { Secret } = await loadCopy();
    class Special<T> extends Secret<T> {}
    const plain = new Secret(source());
    const special = new Special(source());
    expect(special instanceof Secret).toBe(true);
    expect(special instanceof Special).toBe(true);
    expect(plain instanceof Special).toBe(false);
    await Promise.all([plain.close(), special.close()]);
  });
});
