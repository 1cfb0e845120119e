"""Chat prompts rendered by the project itself, checked against the models' own templates.

The templates are read from the real GGUF files (as data, with gguf-py) and executed here
only to compare: in a sandboxed Jinja environment, the way transformers runs them.
"""

from __future__ import annotations

import pytest

from safecoder.prompts.chat_formats import (
    ChatFormat,
    ChatMessageError,
    default_system_prompt_of,
    detect_chat_format,
)

CONVERSATIONS = [
    [{"role": "user", "content": "Write a function that adds two numbers."}],
    [{"role": "system", "content": "You write Python."}, {"role": "user", "content": "Sort a list."}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello! How can I help?"},
     {"role": "user", "content": "Escape HTML in `s`:\n\n```python\ndef f(s):\n```"}],
]


def _template_of(gguf_path) -> str:
    from gguf import GGUFReader

    reader = GGUFReader(str(gguf_path))
    field = reader.fields["tokenizer.chat_template"]
    return bytes(field.parts[field.data[0]]).decode("utf-8")


def _jinja_render(template: str, messages) -> str:
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    return environment.from_string(template).render(messages=messages, add_generation_prompt=True,
                                                    bos_token="", eos_token="", tools=None)


def _check_against_template(resolved) -> None:
    template = _template_of(resolved.gguf)
    from safecoder.models import packaged

    entry = packaged.lookup(resolved.packaged)
    chat = detect_chat_format({"<|im_start|>", "<|im_end|>"}, template, entry.default_system_prompt)
    assert chat is not None and chat.default_system_prompt == default_system_prompt_of(template)
    for messages in CONVERSATIONS:
        assert chat.render(messages) == _jinja_render(template, messages)


def test_chatml_matches_the_135m_models_own_template():
    from safecoder.models import resolve

    _check_against_template(resolve("smollm2-135m"))


@pytest.mark.code_model
def test_chatml_matches_the_code_models_own_template(code_model):
    _check_against_template(code_model)


def test_the_default_system_message_is_read_as_text_never_run():
    template = "{{- '<|im_start|>system\\nYou are X.<|im_end|>\\n' }}{% for m in messages %}...{% endfor %}"
    assert default_system_prompt_of(template) == "You are X."
    # Jinja inside the literal is not taken for a system message.
    assert default_system_prompt_of("{{ '<|im_start|>system\\n{{ evil }}<|im_end|>\\n' }}") is None
    assert default_system_prompt_of(None) is None


def test_unknown_vocabularies_get_no_format_and_bad_messages_are_named():
    assert detect_chat_format({"<s>", "</s>", "[INST]"}) is None
    chat = ChatFormat("chatml")
    assert chat.render([{"role": "user", "content": "x"}]) == "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"
    with pytest.raises(ChatMessageError, match="message 0 has role 'tool'"):
        chat.render([{"role": "tool", "content": "x"}])
    with pytest.raises(ChatMessageError, match="message 1 has no text content"):
        chat.render([{"role": "user", "content": "x"}, {"role": "assistant", "content": None}])
