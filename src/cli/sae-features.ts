// `dgpt sae dashboard | steer`: what an SAE's latents respond to, and what they do when pushed.
import type { Command } from "commander";

/** Registers the feature commands under `dgpt sae` (dashboards and steering land here). */
export function registerSaeFeatureCommands(sae: Command): void {
  void sae;
}
