/**
 * The memo each pipeline and sweep workflow carries, so the Temporal Web UI lists runs with
 * their name, width, seed and sweep (and a sweep point's grid values) rather than bare ids.
 * Pure and deterministic: used by clients and by the sweep workflow for its children.
 *
 * ```ts
 * client.workflow.start('spectralBiasPipeline', { workflowId: runId, args: [spec], memo: runMemo(spec, null) });
 * ```
 */

interface SpecLike {
  name?: unknown;
  seed?: unknown;
  model?: { width?: unknown };
  data?: { n?: unknown; dim?: unknown };
}

export function runMemo(spec: unknown, sweepId: string | null, point?: Record<string, unknown>): Record<string, unknown> {
  const s = (spec ?? {}) as SpecLike;
  return {
    name: s.name ?? null,
    width: s.model?.width ?? null,
    seed: s.seed ?? null,
    n: s.data?.n ?? null,
    dim: s.data?.dim ?? null,
    sweep: sweepId,
    ...(point
      ? {
          point: Object.entries(point)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(' '),
        }
      : {}),
  };
}
