import type { ObjectInfo } from '../../../src/comfy/schemas.js';

type Spec = [unknown, Record<string, unknown>?];

interface NodeDef {
  required: Record<string, Spec>;
  hidden?: Record<string, string>;
  optional?: Record<string, Spec>;
  output?: string[];
  outputNode?: boolean;
  category?: string;
  module?: string;
}

export interface CatalogueOptions {
  checkpoints: string[];
  videoCheckpoints: string[];
  samplers: string[];
  schedulers: string[];
  inputFiles: () => string[];
  /** Install the ComfyUI-VideoHelperSuite node (VHS_VideoCombine). */
  videoHelperSuite: boolean;
}

export const DEFAULT_SAMPLERS = ['euler', 'euler_ancestral', 'heun', 'dpm_2', 'dpmpp_2m', 'dpmpp_sde', 'dpmpp_2m_sde', 'lcm', 'ddim', 'uni_pc'];
export const DEFAULT_SCHEDULERS = ['normal', 'karras', 'exponential', 'sgm_uniform', 'simple', 'ddim_uniform', 'beta'];

const INT = (defaultValue: number, min: number, max: number, step = 1): Spec => ['INT', { default: defaultValue, min, max, step }];
const FLOAT = (defaultValue: number, min: number, max: number, step = 0.01): Spec => ['FLOAT', { default: defaultValue, min, max, step }];
const STRING = (defaultValue = '', multiline = false): Spec => ['STRING', { default: defaultValue, multiline }];
const BOOLEAN = (defaultValue: boolean): Spec => ['BOOLEAN', { default: defaultValue }];
const MAX_SEED = 0xffffffffffffffff;
const PNG_INFO = { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' };

function definitions(options: CatalogueOptions): Record<string, NodeDef> {
  const images: Spec = ['IMAGE', { tooltip: 'The images to save.' }];
  const prefix = STRING('ComfyUI');
  const defs: Record<string, NodeDef> = {
    CheckpointLoaderSimple: { required: { ckpt_name: [options.checkpoints, { tooltip: 'The name of the checkpoint (model) to load.' }] }, output: ['MODEL', 'CLIP', 'VAE'], category: 'loaders' },
    ImageOnlyCheckpointLoader: { required: { ckpt_name: [options.videoCheckpoints, {}] }, output: ['MODEL', 'CLIP_VISION', 'VAE'], category: 'loaders/video_models' },
    CLIPTextEncode: { required: { text: ['STRING', { multiline: true, dynamicPrompts: true }], clip: ['CLIP'] }, output: ['CONDITIONING'], category: 'conditioning' },
    EmptyLatentImage: { required: { width: INT(512, 16, 16384, 8), height: INT(512, 16, 16384, 8), batch_size: INT(1, 1, 4096) }, output: ['LATENT'], category: 'latent' },
    KSampler: {
      required: {
        model: ['MODEL'], seed: INT(0, 0, MAX_SEED), steps: INT(20, 1, 10000), cfg: FLOAT(8, 0, 100, 0.1),
        sampler_name: [options.samplers, {}], scheduler: [options.schedulers, {}],
        positive: ['CONDITIONING'], negative: ['CONDITIONING'], latent_image: ['LATENT'], denoise: FLOAT(1, 0, 1),
      },
      output: ['LATENT'], category: 'sampling',
    },
    VAEDecode: { required: { samples: ['LATENT'], vae: ['VAE'] }, output: ['IMAGE'], category: 'latent' },
    SaveImage: { required: { images, filename_prefix: prefix }, hidden: PNG_INFO, outputNode: true, category: 'image' },
    PreviewImage: { required: { images }, hidden: PNG_INFO, outputNode: true, category: 'image' },
    LoadImage: { required: { image: [options.inputFiles(), { image_upload: true }] }, output: ['IMAGE', 'MASK'], category: 'image' },
    SVD_img2vid_Conditioning: {
      required: {
        clip_vision: ['CLIP_VISION'], init_image: ['IMAGE'], vae: ['VAE'], width: INT(1024, 16, 16384, 8), height: INT(576, 16, 16384, 8),
        video_frames: INT(14, 1, 4096), motion_bucket_id: INT(127, 1, 1023), fps: INT(6, 1, 1024), augmentation_level: FLOAT(0, 0, 10),
      },
      output: ['CONDITIONING', 'CONDITIONING', 'LATENT'], category: 'conditioning/video_models',
    },
    VideoLinearCFGGuidance: { required: { model: ['MODEL'], min_cfg: FLOAT(1, 0, 100, 0.5) }, output: ['MODEL'], category: 'sampling/video_models' },
    SaveAnimatedWEBP: {
      required: { images, filename_prefix: prefix, fps: FLOAT(6, 0.01, 1000), lossless: BOOLEAN(true), quality: INT(80, 0, 100), method: [['default', 'fastest', 'slowest'], {}] },
      hidden: PNG_INFO, outputNode: true, category: 'image/animation',
    },
    SaveAnimatedPNG: { required: { images, filename_prefix: prefix, fps: FLOAT(6, 0.01, 1000), compress_level: INT(4, 0, 9) }, outputNode: true, category: 'image/animation' },
    EmptyImage: { required: { width: INT(512, 1, 16384), height: INT(512, 1, 16384), batch_size: INT(1, 1, 4096), color: INT(0, 0, 0xffffff) }, output: ['IMAGE'], category: 'image' },
    ImageInvert: { required: { image: ['IMAGE'] }, output: ['IMAGE'], category: 'image' },
    ImageScale: {
      required: { image: ['IMAGE'], upscale_method: [['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos'], {}], width: INT(512, 0, 16384), height: INT(512, 0, 16384), crop: [['disabled', 'center'], {}] },
      output: ['IMAGE'], category: 'image/upscaling',
    },
    ImageBlur: { required: { image: ['IMAGE'], blur_radius: INT(1, 1, 31), sigma: FLOAT(1, 0.1, 10) }, output: ['IMAGE'], category: 'image/postprocessing' },
    ImageBatch: { required: { image1: ['IMAGE'], image2: ['IMAGE'] }, output: ['IMAGE'], category: 'image' },
    RepeatImageBatch: { required: { image: ['IMAGE'], amount: INT(1, 1, 4096) }, output: ['IMAGE'], category: 'image/batch' },
  };
  if (options.videoHelperSuite) {
    defs['VHS_VideoCombine'] = {
      required: {
        images: ['IMAGE'], frame_rate: FLOAT(8, 1, 1000), loop_count: INT(0, 0, 100), filename_prefix: STRING('AnimateDiff'),
        format: [['image/gif', 'image/webp', 'video/h264-mp4', 'video/webm'], {}], pingpong: BOOLEAN(false), save_output: BOOLEAN(true),
      },
      optional: { audio: ['AUDIO'] },
      outputNode: true, category: 'Video Helper Suite 🎥🅥🅗🅢', module: 'custom_nodes.ComfyUI-VideoHelperSuite',
    };
  }
  return defs;
}

/** The simulator's /object_info: the nodes of the default templates and a few more, in ComfyUI's layout. */
export function buildObjectInfo(options: CatalogueOptions): ObjectInfo {
  const info: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(definitions(options))) {
    const output = def.output ?? [];
    info[name] = {
      input: { required: def.required, ...(def.optional ? { optional: def.optional } : {}), ...(def.hidden ? { hidden: def.hidden } : {}) },
      input_order: {
        required: Object.keys(def.required),
        ...(def.optional ? { optional: Object.keys(def.optional) } : {}),
        ...(def.hidden ? { hidden: Object.keys(def.hidden) } : {}),
      },
      output, output_is_list: output.map(() => false), output_name: output, name, display_name: name,
      description: '', python_module: def.module ?? 'nodes', category: def.category ?? 'misc', output_node: def.outputNode ?? false,
    };
  }
  return info as ObjectInfo;
}
