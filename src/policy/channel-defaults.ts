import { ASPECT_RATIOS, type AspectRatio } from '../comfy/aspect.js';
import type { ChannelDefaults, ChannelDefaultsMap } from '../config-file.js';

type Params = Record<string, string | number | boolean>;

/** A channel's own defaults win over its category's, key by key. */
export function channelDefaultsFor(map: ChannelDefaultsMap, channelId: string | null, categoryId: string | null | undefined): ChannelDefaults | undefined {
  const channel = channelId ? map[channelId] : undefined;
  const category = categoryId ? map[categoryId] : undefined;
  return channel || category ? { ...category, ...channel } : undefined;
}

export interface Asked {
  params: Params;
  aspect?: AspectRatio | undefined;
}

/**
 * Fills what the member left open from the channel's defaults: steps, the size (a ratio, or width × height),
 * and the negative prompt's prefix. What the member gave always wins; a parameter the template does not take
 * is left out. The prefix is not added twice (a job made from a result already has it).
 */
export function applyChannelDefaults(asked: Asked, defaults: ChannelDefaults | undefined, takes: (param: string) => boolean): Asked {
  if (!defaults) return asked;
  const params: Params = { ...asked.params };
  let aspect = asked.aspect;
  if (defaults.steps !== undefined && params['steps'] === undefined && takes('steps')) params['steps'] = defaults.steps;
  const prefix = defaults.negative_prefix?.trim();
  if (prefix && takes('negative')) {
    const negative = typeof params['negative'] === 'string' ? params['negative'].trim() : '';
    if (!negative.startsWith(prefix)) params['negative'] = negative ? `${prefix}, ${negative}` : prefix;
  }
  const sizeGiven = aspect !== undefined || params['width'] !== undefined || params['height'] !== undefined;
  if (defaults.size && !sizeGiven && takes('width') && takes('height')) {
    const ratio = ASPECT_RATIOS.find((candidate) => candidate === defaults.size);
    if (ratio) aspect = ratio;
    else {
      const [width, height] = defaults.size.split('x').map(Number);
      if (width && height) Object.assign(params, { width, height });
    }
  }
  return aspect ? { params, aspect } : { params };
}
