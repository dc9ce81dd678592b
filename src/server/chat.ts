// Chat templates: how a chat model wants its messages laid out as text. A Hugging Face model
// folder carries its template as Jinja, in tokenizer_config.json's "chat_template" (a string, or a
// list of named templates of which "default" is the one) or in chat_template.jinja; `dgpt serve
// --chat-template FILE` gives one to a model that has none. Rendered with Hugging Face's own Jinja
// implementation (@huggingface/jinja), with the variables transformers' apply_chat_template
// passes: messages, add_generation_prompt, bos_token, eos_token.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Template } from "@huggingface/jinja";
import type { Tokenizer } from "../tokenizers/types.js";
import { badRequest } from "./errors.js";

export interface ChatMessage {
  role: string;
  content: string;
  name?: string;
}

export class ChatTemplate {
  private readonly template: Template;
  constructor(
    readonly source: string,
    private readonly tokenizer: Tokenizer,
  ) {
    try {
      this.template = new Template(source);
    } catch (err) {
      throw new Error(`the chat template does not parse: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The prompt text for `messages`, ending where the assistant's reply begins. */
  render(messages: readonly ChatMessage[]): string {
    const piece = (id: number | undefined) => (id === undefined ? "" : this.tokenizer.idToToken(id));
    try {
      return this.template.render({
        messages,
        add_generation_prompt: true,
        bos_token: piece(this.tokenizer.bosTokenId),
        eos_token: piece(this.tokenizer.eosTokenId),
      });
    } catch (err) {
      // templates raise on messages they do not accept ("roles must alternate user/assistant")
      throw badRequest(`the model's chat template refused the messages: ${(err as Error).message}`, "messages");
    }
  }
}

/** The chat template of a model folder, or null when it has none. */
export function readChatTemplate(dir: string): string | null {
  const jinja = join(dir, "chat_template.jinja");
  if (existsSync(jinja)) return readFileSync(jinja, "utf8");
  const configPath = join(dir, "tokenizer_config.json");
  if (!existsSync(configPath)) return null;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(configPath, "utf8"));
  } catch (err) {
    throw new Error(`${configPath}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
  const t = (config as { chat_template?: unknown }).chat_template;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) {
    const named = t.find((x) => (x as { name?: unknown }).name === "default") ?? t[0];
    const template = (named as { template?: unknown } | undefined)?.template;
    if (typeof template === "string") return template;
  }
  return null;
}
