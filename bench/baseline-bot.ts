import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AttachmentBuilder, Client, Events, GatewayIntentBits, type ChatInputCommandInteraction } from 'discord.js';
import { ComfyClient } from '../src/comfy/client.js';
import { collectOutputs } from '../src/comfy/outputs.js';
import { parseServer } from '../src/comfy/server.js';
import { fillWorkflow, loadTemplates } from '../src/comfy/templates.js';
import { templateDirs } from '../src/templates-registry.js';

/**
 * The design most bots use, for comparison: one job at a time — submit, poll /history/{id} every second,
 * download, post, then the next. Same template, same simulator, same fake Discord as the real bot.
 */
const env = process.env;
const comfy = new ComfyClient({ server: parseServer(env['COMFYUI_URL'] as string), clientId: `baseline-${randomUUID()}` });
const template = (await loadTemplates(templateDirs(undefined))).get('txt2img');
if (!template) throw new Error('txt2img template missing');
const queue: ChatInputCommandInteraction[] = [];
let wake: (() => void) | undefined;

const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: env['DISCORD_API_URL'] as string } });
client.on(Events.InteractionCreate, async (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  await interaction.deferReply();
  queue.push(interaction);
  wake?.();
});

async function work(): Promise<void> {
  for (;;) {
    const interaction = queue.shift();
    if (!interaction) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    const { workflow } = fillWorkflow(template as NonNullable<typeof template>, { prompt: interaction.options.getString('prompt', true), checkpoint: 'sd_xl_base_1.0.safetensors' });
    const { promptId } = await comfy.queuePrompt(workflow);
    let entry = await comfy.getHistoryEntry(promptId);
    while (!entry) {
      await sleep(1_000);
      entry = await comfy.getHistoryEntry(promptId);
    }
    const [file] = collectOutputs(entry.outputs);
    if (!file) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of (await comfy.view(file)).stream) chunks.push(chunk as Buffer);
    await interaction.editReply({ content: 'Done', embeds: [{ description: interaction.options.getString('prompt', true) }], files: [new AttachmentBuilder(Buffer.concat(chunks), { name: file.filename })] });
  }
}

await client.login(env['DISCORD_TOKEN']);
console.log('{"msg":"logged in to Discord"}');
void work();
