/** Named aspect ratios a member can pick; each template turns them into sizes suited to its model. */
export const ASPECT_RATIOS = ['1:1', '3:2', '2:3', '16:9', '9:16', '21:9'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];

/** Sides are multiples of 64: what SD latents (8) and most models' training buckets (64) both like. */
const SIDE_MULTIPLE = 64;

/**
 * Width and height for a ratio with about as many pixels as `base`² (the model's native square: 512 for SD 1.5,
 * 1024 for SDXL), each side rounded to a multiple of 64, at least 64.
 */
export function sizeForRatio(ratio: AspectRatio, base: number): { width: number; height: number } {
  const [across, down] = ratio.split(':').map(Number) as [number, number];
  const width = base * Math.sqrt(across / down);
  const height = (width * down) / across;
  const round = (side: number): number => Math.max(SIDE_MULTIPLE, Math.round(side / SIDE_MULTIPLE) * SIDE_MULTIPLE);
  return { width: round(width), height: round(height) };
}
