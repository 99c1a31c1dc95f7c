import { describe, expect, it } from 'vitest';
import { SeededRandom } from './seeded-random.js';

const draw = (random: SeededRandom, count: number): number[] => Array.from({ length: count }, () => random.next());

describe('SeededRandom', () => {
  it('replays the same sequence from the same seed, and another from another seed', () => {
    expect(draw(new SeededRandom(42), 20)).toEqual(draw(new SeededRandom(42), 20));
    expect(draw(new SeededRandom(42), 20)).not.toEqual(draw(new SeededRandom(43), 20));
  });

  it('draws floats in [0, 1) and integers within both bounds', () => {
    const random = new SeededRandom(7);
    for (const value of draw(random, 1_000)) expect(value >= 0 && value < 1).toBe(true);
    const ints = new Set(Array.from({ length: 1_000 }, () => random.int(3, 5)));
    expect([...ints].sort()).toEqual([3, 4, 5]);
  });

  it('picks by weight and never an item of weight 0', () => {
    const random = new SeededRandom(1);
    const picks = Array.from({ length: 3_000 }, () =>
      random.weighted([
        ['a', 3],
        ['b', 1],
        ['never', 0],
      ] as const),
    );
    const count = (item: string): number => picks.filter((pick) => pick === item).length;
    expect(count('never')).toBe(0);
    expect(count('a')).toBeGreaterThan(count('b') * 2);
  });

  it('refuses a seed that is not a 32-bit unsigned integer', () => {
    expect(() => new SeededRandom(-1)).toThrow(RangeError);
    expect(() => new SeededRandom(1.5)).toThrow(RangeError);
    expect(() => new SeededRandom(2 ** 32)).toThrow(RangeError);
  });
});
