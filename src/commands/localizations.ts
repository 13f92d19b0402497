import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';

interface Text {
  name?: string;
  description: string;
}

/**
 * Simplified Chinese for every command, option and choice, keyed `command`, `command.option` and
 * `command.option=choice value`. Discord shows them to members whose client is in zh-CN; interactions still carry
 * the English names, so the handlers never see these.
 */
const ZH_CN: Readonly<Record<string, Text>> = {
  imagine: { name: '画图', description: '根据文字提示画一张图' },
  'imagine.prompt': { name: '提示词', description: '要画什么' },
  'imagine.negative': { name: '反向提示词', description: '要避免什么' },
  'imagine.size': { name: '比例', description: '宽高比（模板会选适合其模型的尺寸）' },
  'imagine.size=1:1': { description: '1:1 正方形' },
  'imagine.size=3:2': { description: '3:2 横向' },
  'imagine.size=2:3': { description: '2:3 纵向' },
  'imagine.size=16:9': { description: '16:9 宽屏' },
  'imagine.size=9:16': { description: '9:16 竖屏' },
  'imagine.size=21:9': { description: '21:9 电影' },
  'imagine.seed': { name: '种子', description: '种子和设置相同 = 图片相同' },
  'imagine.steps': { name: '步数', description: '采样步数' },
  'imagine.cfg': { name: 'cfg', description: '对提示词的遵循程度' },
  'imagine.sampler': { name: '采样器', description: '采样器' },
  'imagine.scheduler': { name: '调度器', description: '噪声调度' },
  'imagine.checkpoint': { name: '模型', description: '模型检查点' },
  'imagine.template': { name: '模板', description: '工作流模板' },
  'imagine.count': { name: '数量', description: '生成几张图' },
  'imagine.lora': { name: 'lora', description: '要应用的 LoRA（输入以搜索）' },
  'imagine.lora_strength': { name: 'lora强度', description: 'LoRA 的强度（默认 1）' },
  'imagine.lora2': { name: 'lora2', description: '第二个 LoRA' },
  'imagine.lora2_strength': { name: 'lora2强度', description: '第二个 LoRA 的强度（默认 1）' },
  img2img: { name: '图生图', description: '根据文字提示重绘一张图片' },
  'img2img.image': { name: '图片', description: '作为起点的 PNG、JPEG 或 WebP 图片' },
  'img2img.prompt': { name: '提示词', description: '要变成什么' },
  'img2img.strength': { name: '强度', description: '与原图的差别（0.05 几乎不变，1 完全重画）' },
  'img2img.negative': { name: '反向提示词', description: '要避免什么' },
  'img2img.seed': { name: '种子', description: '种子和设置相同 = 图片相同' },
  'img2img.steps': { name: '步数', description: '采样步数' },
  'img2img.cfg': { name: 'cfg', description: '对提示词的遵循程度' },
  'img2img.checkpoint': { name: '模型', description: '模型检查点' },
  'img2img.template': { name: '模板', description: '工作流模板' },
  inpaint: { name: '局部重绘', description: '重绘图片的一部分' },
  'inpaint.image': { name: '图片', description: '图片（PNG、JPEG 或 WebP）' },
  'inpaint.mask': { name: '蒙版', description: '与图片同样大小：要重绘的地方白色，要保留的地方黑色' },
  'inpaint.prompt': { name: '提示词', description: '在那里画什么' },
  'inpaint.negative': { name: '反向提示词', description: '要避免什么' },
  'inpaint.grow': { name: '扩展', description: '把蒙版向外扩展多少像素（默认 6）' },
  'inpaint.seed': { name: '种子', description: '种子和设置相同 = 图片相同' },
  'inpaint.steps': { name: '步数', description: '采样步数' },
  'inpaint.cfg': { name: 'cfg', description: '对提示词的遵循程度' },
  'inpaint.checkpoint': { name: '模型', description: '模型检查点' },
  'inpaint.template': { name: '模板', description: '工作流模板' },
  img2vid: { name: '图生视频', description: '让一张静态图片动起来' },
  'img2vid.image': { name: '图片', description: 'PNG、JPEG 或 WebP 图片' },
  'img2vid.frames': { name: '帧数', description: '帧的数量' },
  'img2vid.fps': { name: '帧率', description: '每秒帧数' },
  'img2vid.motion': { name: '运动幅度', description: '运动的幅度（1–255）' },
  'img2vid.seed': { name: '种子', description: '不填则随机' },
  'img2vid.template': { name: '模板', description: '工作流模板' },
  queue: { name: '队列', description: '查看正在运行和等待的任务' },
  status: { name: '状态', description: 'ComfyUI 服务器和机器人的状态：是否在线、GPU、队列' },
  jobs: { name: '我的任务', description: '你最近的任务，附带结果链接' },
  'jobs.member': { name: '成员', description: '管理员：本服务器的另一位成员' },
  show: { name: '显示', description: '重新发出一个已完成的任务，带上它的按钮' },
  'show.job': { name: '任务', description: '任务编号（见 /jobs）' },
  bot: { name: '机器人', description: '管理员：机器人的设置、重新加载、暂停与恢复、模板' },
  'bot.settings': { name: '设置', description: '显示生效的设置（不含密钥）' },
  'bot.pause': { name: '暂停', description: '停止向 ComfyUI 发送任务；新任务仍会排队' },
  'bot.resume': { name: '恢复', description: '重新向 ComfyUI 发送排队的任务' },
  'bot.templates': { name: '模板', description: '列出模板以及它们能否运行' },
  'bot.reload': { name: '重新加载', description: '重新读取 config.yaml 和模板，无需重启' },
  'bot.template-add': { name: '添加模板', description: '从 ComfyUI 的 API 格式 JSON，或 ComfyUI 保存的 PNG/WebP 添加模板' },
  'bot.template-add.file': { name: '文件', description: '工作流文件' },
  'bot.template-add.name': { name: '名称', description: '模板名称（小写字母、数字、- 和 _）' },
  cancel: { name: '取消', description: '取消你最近的任务、指定的任务，或（管理员）全部任务' },
  'cancel.job': { name: '任务', description: '任务编号（见回复或 /queue）' },
  'cancel.all': { name: '全部', description: '管理员：取消本服务器的所有任务' },
};

type Option = NonNullable<RESTPostAPIChatInputApplicationCommandsJSONBody['options']>[number];

function optionsOf(option: Option): Option[] {
  return 'options' in option && Array.isArray(option.options) ? (option.options as Option[]) : [];
}

function keysOf(prefix: string, options: readonly Option[]): string[] {
  return options.flatMap((option) => [
    `${prefix}.${option.name}`,
    ...('choices' in option && option.choices ? option.choices.map((choice) => `${prefix}.${option.name}=${String(choice.value)}`) : []),
    ...keysOf(`${prefix}.${option.name}`, optionsOf(option)),
  ]);
}

/** What has no translation (the test lists it): the command, its options, subcommands' options and choices. */
export function untranslated(data: RESTPostAPIChatInputApplicationCommandsJSONBody): string[] {
  return [data.name, ...keysOf(data.name, data.options ?? [])].filter((key) => ZH_CN[key] === undefined);
}

function localizeOptions(prefix: string, options: readonly Option[]): Option[] {
  return options.map((option) => {
    const key = `${prefix}.${option.name}`;
    const text = ZH_CN[key];
    const choices = 'choices' in option && option.choices
      ? { choices: option.choices.map((choice) => {
        const name = ZH_CN[`${key}=${String(choice.value)}`]?.description;
        return name ? { ...choice, name_localizations: { 'zh-CN': name } } : choice;
      }) }
      : {};
    const nested = optionsOf(option);
    return {
      ...option, ...choices,
      ...(nested.length > 0 ? { options: localizeOptions(key, nested) } : {}),
      ...(text?.name ? { name_localizations: { 'zh-CN': text.name } } : {}),
      ...(text ? { description_localizations: { 'zh-CN': text.description } } : {}),
    } as Option;
  });
}

/** The command's definition with its zh-CN names and descriptions (its options', subcommands' and choices' too). */
export function localized(data: RESTPostAPIChatInputApplicationCommandsJSONBody): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const own = ZH_CN[data.name];
  return {
    ...data,
    ...(own?.name ? { name_localizations: { 'zh-CN': own.name } } : {}),
    ...(own ? { description_localizations: { 'zh-CN': own.description } } : {}),
    ...(data.options ? { options: localizeOptions(data.name, data.options) } : {}),
  };
}
