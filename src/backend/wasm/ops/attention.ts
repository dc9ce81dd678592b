// Fused attention on the WebAssembly kernels (assembly/attention.ts), split over threads by
// batch entries (B·n_heads), so each thread's writes are its own.
import { jsBackend } from "../../js/index.js";
import type { AttentionProbe, AttentionSpec, Backend, Storage } from "../../types.js";
import { WasmContext } from "../context.js";

/** The kernel's layout argument: 0 for (batch, t, d), H for (B, t, H, d). */
const heads = (s: AttentionSpec) => (s.layout === "bthd" ? (s.heads ?? 1) : 0);

/** Multiply-adds per thread below which splitting does not pay. */
const MIN_MACS_PER_THREAD = 1 << 16;

export function attentionKernels(ctx: WasmContext): Partial<Backend> {
  const scratchBytes = ctx.kernel("attentionScratchBytes");
  const macs = (s: AttentionSpec) => s.batch * s.tq * s.tk * s.dHead * (s.causal ? 1 : 2);
  return {
    attention(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, s: AttentionSpec, probe?: AttentionProbe): void {
      const extra = [probe?.scores, probe?.pattern].filter((x): x is Storage => !!x);
      if (!ctx.owns("float32", q, k, v, out, lse, ...extra)) return jsBackend.attention(q, k, v, out, lse, s, probe);
      const parts = ctx.partsFor(macs(s), MIN_MACS_PER_THREAD);
      const per = (scratchBytes(s.tq, s.tk, s.dHead) as number) + 64;
      ctx.withScratch(parts * per, (base) => {
        const args = WasmContext.ranges(s.batch, parts).map(([b0, b1], t) => [
          ctx.ptr(q), ctx.ptr(k), ctx.ptr(v), ctx.ptr(out), ctx.ptr(lse),
          s.tq, s.tk, s.dHead, s.scale, s.causal ? 1 : 0, heads(s), b0, b1, (base + t * per + 63) & ~63,
          probe?.scores ? ctx.ptr(probe.scores) : 0, probe?.pattern ? ctx.ptr(probe.pattern) : 0,
        ]);
        ctx.run("attentionF32", args);
      });
    },
    attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, s): void {
      if (!ctx.owns("float32", q, k, v, out, lse, dout, dq, dk, dv)) return jsBackend.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, s);
      const parts = ctx.partsFor(3 * macs(s), MIN_MACS_PER_THREAD);
      const per = (scratchBytes(s.tq, s.tk, s.dHead) as number) + 64;
      ctx.withScratch(parts * per, (base) => {
        const args = WasmContext.ranges(s.batch, parts).map(([b0, b1], t) => [
          ctx.ptr(q), ctx.ptr(k), ctx.ptr(v), ctx.ptr(out), ctx.ptr(lse), ctx.ptr(dout), ctx.ptr(dq), ctx.ptr(dk), ctx.ptr(dv),
          s.tq, s.tk, s.dHead, s.scale, s.causal ? 1 : 0, heads(s), b0, b1, (base + t * per + 63) & ~63,
        ]);
        ctx.run("attentionBackwardF32", args);
      });
    },
  };
}
