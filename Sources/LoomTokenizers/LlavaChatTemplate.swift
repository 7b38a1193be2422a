/// The chat template llava-hf checkpoints ship in `chat_template.json` (llava-interleave-qwen-*-hf): per message
/// `<|im_start|>role`, then all its images as `<image>`, then `\n` + each text part (assistant text inside
/// `{% generation %}`), then `<|im_end|>\n`.
public enum LlavaChatTemplate {
    /// The Jinja source, character for character as in the checkpoints' `chat_template.json`.
    public static let source = #"{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n'}}"#
        + #"{# Render all images first #}"#
        + #"{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}"#
        + #"{# Render all text next #}{% if message['role'] != 'assistant' %}"#
        + #"{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\n' + content['text'] }}{% endfor %}"#
        + #"{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"#
        + #"{% generation %}{{ '\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"#
        + #"{{'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"#
}
