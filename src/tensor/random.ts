// Seedable random numbers: xoshiro128** (small, fast, good statistics) seeded through splitmix32.
// One global generator (`manualSeed`), or pass your own `Generator` to any random op.

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Generator {
  private s = new Uint32Array(4);
  /** A cached second normal from Box–Muller. */
  private spare: number | null = null;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    if (!Number.isFinite(seed)) throw new Error(`manualSeed: seed must be a finite number, got ${seed}`);
    // fold a 53-bit seed into 32 bits of entropy for splitmix
    const sm = splitmix32((seed >>> 0) ^ Math.floor(seed / 4294967296));
    for (let i = 0; i < 4; i++) this.s[i] = sm();
    this.spare = null;
    return this;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Standard normal by the Box–Muller transform. */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** The full state, to save in a checkpoint and restore with setState for exact resumes. */
  getState(): number[] {
    return [...this.s, this.spare === null ? NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    if (!Array.isArray(state) || state.length !== 5) throw new Error("Generator.setState: expected the 5-number array from getState()");
    for (let i = 0; i < 4; i++) this.s[i] = state[i] >>> 0;
    this.spare = Number.isNaN(state[4]) || state[4] === null ? null : state[4];
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export const defaultGenerator = new Generator(0);

/** Seeds the global generator, like torch.manual_seed. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
