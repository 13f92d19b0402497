import { describe, expect, it } from 'vitest';
import { previewSupport } from '../../src/comfy/previews.js';

describe('previewSupport', () => {
  it('asks per prompt from v0.5, else needs --preview-method at start', () => {
    expect(previewSupport('0.5.1', [])).toBe('per-prompt');
    expect(previewSupport('0.6.0', undefined)).toBe('per-prompt');
    expect(previewSupport('0.3.65', ['main.py', '--preview-method', 'auto'])).toBe('started-with');
    expect(previewSupport('0.3.65', ['main.py', '--preview-method=taesd'])).toBe('started-with');
    expect(previewSupport('0.3.65', ['main.py', '--preview-method', 'none'])).toBe('none');
    expect(previewSupport('0.3.65', ['main.py', '--listen'])).toBe('none');
    expect(previewSupport(undefined, undefined)).toBe('none');
  });
});
