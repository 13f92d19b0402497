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

/** Whether the template takes a parameter, and the range of a whole-number one. */
export type ParamRange = (param: string) => { min?: number; max?: number; multipleOf?: number } | undefined;

/**
 * Fills what the member left open from the channel's defaults: steps, the size (a ratio, or width × height),
 * and the negative prompt's prefix. What the member gave always wins; a parameter the template does not take
 * is left out, and a number is brought inside the template's range (the member did not choose it, so must not
 * be refused for it). The prefix is not added twice (a job made from a result already has it).
 */
export function applyChannelDefaults(asked: Asked, defaults: ChannelDefaults | undefined, range: ParamRange): Asked {
  if (!defaults) return asked;
  const takes = (param: string): boolean => range(param) !== undefined;
  const fit = (param: string, value: number): number => {
    const { min = -Infinity, max = Infinity, multipleOf = 1 } = range(param) ?? {};
    // The nearest multiple inside the range (its ends need not be multiples themselves).
    const low = Math.ceil(min / multipleOf) * multipleOf;
    const high = Math.floor(max / multipleOf) * multipleOf;
    return Math.min(high, Math.max(low, Math.round(value / multipleOf) * multipleOf));
  };
  const params: Params = { ...asked.params };
  let aspect = asked.aspect;
  if (defaults.steps !== undefined && params['steps'] === undefined && takes('steps')) params['steps'] = fit('steps', defaults.steps);
  const prefix = defaults.negative_prefix?.trim().replace(/,+$/, '').trim();
  if (prefix && takes('negative')) {
    const negative = typeof params['negative'] === 'string' ? params['negative'].trim() : '';
    // Already there when a job made from a result carries its parent's negative ("prefix" or "prefix, …").
    const has = negative.toLowerCase() === prefix.toLowerCase() || negative.toLowerCase().startsWith(`${prefix.toLowerCase()},`);
    if (!has) params['negative'] = negative ? `${prefix}, ${negative}` : prefix;
  }
  const sizeGiven = aspect !== undefined || params['width'] !== undefined || params['height'] !== undefined;
  if (defaults.size && !sizeGiven && takes('width') && takes('height')) {
    const ratio = ASPECT_RATIOS.find((candidate) => candidate === defaults.size);
    if (ratio) aspect = ratio;
    else {
      const [width, height] = defaults.size.split('x').map(Number);
      if (width && height) Object.assign(params, { width: fit('width', width), height: fit('height', height) });
    }
  }
  return aspect ? { params, aspect } : { params };
}
