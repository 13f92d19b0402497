/** How a server will send preview pictures for the bot's prompts. */
export type PreviewSupport = 'per-prompt' | 'started-with' | 'none';

/** ComfyUI reads `extra_data.preview_method` per prompt from this version on; older ones only take `--preview-method`. */
const PER_PROMPT_FROM: readonly [number, number] = [0, 5];

function atLeast(version: string, [major, minor]: readonly [number, number]): boolean {
  const [a = 0, b = 0] = version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  return a > major || (a === major && b >= minor);
}

/** From a server's /system_stats: its version and the arguments it was started with. */
export function previewSupport(version: string | undefined, argv: readonly string[] | undefined): PreviewSupport {
  if (version && atLeast(version, PER_PROMPT_FROM)) return 'per-prompt';
  const at = argv?.indexOf('--preview-method') ?? -1;
  const method = at >= 0 ? argv?.[at + 1] : argv?.find((arg) => arg.startsWith('--preview-method='))?.split('=')[1];
  return method && method !== 'none' ? 'started-with' : 'none';
}
