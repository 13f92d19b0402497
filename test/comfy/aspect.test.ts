import { describe, expect, it } from 'vitest';
import { ASPECT_RATIOS, sizeForRatio } from '../../src/comfy/aspect.js';

describe('sizeForRatio', () => {
  it('gives each ratio a size around the model\'s base, sides multiples of 64', () => {
    const table = (base: number) => Object.fromEntries(ASPECT_RATIOS.map((ratio) => {
      const { width, height } = sizeForRatio(ratio, base);
      return [ratio, `${width}x${height}`];
    }));
    expect(table(1024)).toEqual({ '1:1': '1024x1024', '3:2': '1280x832', '2:3': '832x1280', '16:9': '1344x768', '9:16': '768x1344', '21:9': '1536x640' });
    expect(table(512)).toEqual({ '1:1': '512x512', '3:2': '640x448', '2:3': '448x640', '16:9': '704x384', '9:16': '384x704', '21:9': '768x320' });
  });
});
