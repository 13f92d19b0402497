import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectOutputs } from '../../src/comfy/outputs.js';
import { HistoryEntrySchema, HistorySchema } from '../../src/comfy/schemas.js';

const CAPTURES = fileURLToPath(new URL('../fixtures/comfyui-captures/', import.meta.url));

function capturedEntry(name: string) {
  const file = JSON.parse(readFileSync(`${CAPTURES}${name}.json`, 'utf8')) as { response?: { body: unknown } };
  const history = HistorySchema.parse(file.response ? file.response.body : file);
  return HistoryEntrySchema.parse(Object.values(history)[0]);
}

describe('collectOutputs', () => {
  it('reads a SaveImage entry recorded from a real server', () => {
    expect(collectOutputs(capturedEntry('history_entry').outputs)).toEqual([
      { filename: 'peer_empty_00005_.png', subfolder: '', type: 'output', nodeId: '2', key: 'images', kind: 'image' },
    ]);
  });

  it('reads a cached re-run: the earlier run\'s file, still a success', () => {
    expect(collectOutputs(capturedEntry('history_entry_cached').outputs).map((file) => file.filename)).toEqual(['peer_empty_00005_.png']);
  });

  it('reads a batch of two from the GPU server', () => {
    expect(collectOutputs(capturedEntry('gpu-sd15/history_s04_batch2').outputs)).toHaveLength(2);
  });

  it('marks animated WebP and APNG (animated: [true]) as animations', () => {
    expect(collectOutputs(capturedEntry('history_animated_webp').outputs)[0]?.kind).toBe('animation');
    expect(collectOutputs(capturedEntry('history_animated_apng').outputs)[0]?.kind).toBe('animation');
  });

  it('keeps PreviewImage temps when they are all there is', () => {
    expect(collectOutputs(capturedEntry('history_preview').outputs).map((file) => file.type)).toEqual(['temp', 'temp']);
  });

  it('collects every kind, whatever the key, in node order, preferring output over temp previews', () => {
    const outputs = {
      '31': { text: ['a caption'] },
      '12': { gifs: [{ filename: 'AnimateDiff_00001.mp4', subfolder: '', type: 'output', format: 'video/h264-mp4', frame_rate: 8, workflow: 'AnimateDiff_00001.png', fullpath: '/srv/x.mp4' }] },
      '9': { images: [{ filename: 'ComfyUI_00001_.png', subfolder: '', type: 'output', metadata: {}, id: 'a' }] },
      '10': { images: [{ filename: 'ComfyUI_temp_abcde_00001_.png', subfolder: '', type: 'temp' }], animated: [false] },
      '11': { images: [{ filename: 'ComfyUI_00001_.mp4', subfolder: 'video', type: 'output' }], animated: [true] },
      '13': { gifs: [{ filename: 'svd_00001.gif', subfolder: '', type: 'output', format: 'image/gif' }] },
      '14': { audio: [{ filename: 'ComfyUI_00001.flac', subfolder: 'audio', type: 'output' }] },
      '15': { video: [{ filename: 'clip.webm', subfolder: '', type: 'output' }], unknown_key: 'ignored' },
      '16': { images: [{ filename: 'anim_00001_.webp', subfolder: '', type: 'output' }], animated: [false, true] },
    };
    const files = collectOutputs(outputs);
    expect(files.map((file) => [file.nodeId, file.key, file.kind, file.filename])).toEqual([
      ['9', 'images', 'image', 'ComfyUI_00001_.png'],
      ['11', 'images', 'video', 'ComfyUI_00001_.mp4'],
      ['12', 'gifs', 'video', 'AnimateDiff_00001.mp4'],
      ['13', 'gifs', 'animation', 'svd_00001.gif'],
      ['14', 'audio', 'audio', 'ComfyUI_00001.flac'],
      ['15', 'video', 'video', 'clip.webm'],
      ['16', 'images', 'animation', 'anim_00001_.webp'],
    ]);
    expect(files[2]).not.toHaveProperty('fullpath');
  });

  it('follows the workflow order when given', () => {
    const outputs = { '2': { images: [{ filename: 'b.png', subfolder: '', type: 'output' }] }, '10': { images: [{ filename: 'a.png', subfolder: '', type: 'output' }] } };
    expect(collectOutputs(outputs, ['10', '2']).map((file) => file.filename)).toEqual(['a.png', 'b.png']);
  });
});
