import { describe, expect, it } from 'vitest';
import { applyChannelDefaults, channelDefaultsFor } from '../../src/policy/channel-defaults.js';

const takesAll = () => ({});

describe('per-channel defaults', () => {
  it('fill only what the member left open', () => {
    const defaults = { steps: 12, size: '16:9', negative_prefix: 'blurry' };
    expect(applyChannelDefaults({ params: { prompt: 'a fox' } }, defaults, takesAll)).toEqual({ params: { prompt: 'a fox', steps: 12, negative: 'blurry' }, aspect: '16:9' });
    expect(applyChannelDefaults({ params: { prompt: 'a fox', steps: 30, negative: 'text' }, aspect: '1:1' }, defaults, takesAll))
      .toEqual({ params: { prompt: 'a fox', steps: 30, negative: 'blurry, text' }, aspect: '1:1' });
  });

  it('do not add the negative prefix twice, take WIDTHxHEIGHT, and leave out what the template does not take', () => {
    expect(applyChannelDefaults({ params: { negative: 'blurry, text' } }, { negative_prefix: 'blurry' }, takesAll)).toEqual({ params: { negative: 'blurry, text' } });
    expect(applyChannelDefaults({ params: { negative: 'Blurry' } }, { negative_prefix: 'blurry' }, takesAll)).toEqual({ params: { negative: 'Blurry' } });
    expect(applyChannelDefaults({ params: { negative: 'lowres' } }, { negative_prefix: 'low' }, takesAll)).toEqual({ params: { negative: 'low, lowres' } });
    expect(applyChannelDefaults({ params: {} }, { size: '768x512' }, takesAll)).toEqual({ params: { width: 768, height: 512 } });
    expect(applyChannelDefaults({ params: { width: 640 } }, { size: '768x512' }, takesAll)).toEqual({ params: { width: 640 } });
    expect(applyChannelDefaults({ params: {} }, { steps: 9, negative_prefix: 'x', size: '1:1' }, (param) => (param === 'prompt' ? {} : undefined))).toEqual({ params: {} });
    expect(applyChannelDefaults({ params: {} }, { steps: 120, size: '4096x64' }, () => ({ min: 64, max: 100 }))).toEqual({ params: { steps: 100, width: 100, height: 64 } });
    expect(applyChannelDefaults({ params: {} }, { size: '1000x700' }, () => ({ min: 64, max: 2048, multipleOf: 64 }))).toEqual({ params: { width: 1024, height: 704 } });
    expect(applyChannelDefaults({ params: {} }, { size: '64x3000' }, () => ({ min: 100, max: 2000, multipleOf: 64 }))).toEqual({ params: { width: 128, height: 1984 } });
    expect(applyChannelDefaults({ params: { negative: 'text' } }, { negative_prefix: 'lowres, ' }, takesAll)).toEqual({ params: { negative: 'lowres, text' } });
  });

  it('take a channel\'s own over its category\'s, key by key', () => {
    const map = { '100000000000000001': { steps: 5, spoiler: true }, '100000000000000002': { steps: 9 } };
    expect(channelDefaultsFor(map, '100000000000000002', '100000000000000001')).toEqual({ steps: 9, spoiler: true });
    expect(channelDefaultsFor(map, '100000000000000003', '100000000000000001')).toEqual({ steps: 5, spoiler: true });
    expect(channelDefaultsFor(map, '100000000000000003', null)).toBeUndefined();
  });
});
