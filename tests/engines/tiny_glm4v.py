"""A tiny, randomly initialised GLM-4.1V checkpoint written to a folder, built offline in a second.

The checkpoint has what a real one ships: config and weights, a tokenizer (byte-level, so any text,
Chinese included, round-trips; plus GLM's special tokens), the GLM-4.1V image processor, and a chat
template of GLM-4.1V's shape. Its output is noise; tests assert on the path, not on the words.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIAL_TOKENS = [
    "<|endoftext|>", "[gMASK]", "<sop>", "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
    "<|begin_of_image|>", "<|end_of_image|>", "<|image|>", "<|begin_of_video|>", "<|end_of_video|>", "<|video|>",
    "<think>", "</think>", "<|begin_of_box|>", "<|end_of_box|>",
]  # fmt: skip

# GLM-4.1V's template, shortened: a system turn, user turns with image slots, the assistant's turn.
CHAT_TEMPLATE = """[gMASK]<sop>
{%- for msg in messages %}
{%- if msg.role == 'system' %}<|system|>
{{ msg.content if msg.content is string else msg.content | map(attribute='text') | join('') }}
{%- elif msg.role == 'user' %}<|user|>
{% if msg.content is string %}{{ msg.content }}{% else %}{% for item in msg.content %}
{%- if item.type == 'image' or 'image' in item %}<|begin_of_image|><|image|><|end_of_image|>
{%- elif item.type == 'text' %}{{ item.text }}{% endif %}{% endfor %}{% endif %}
{%- elif msg.role == 'assistant' %}<|assistant|>
{{ msg.content }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}<|assistant|>
{% endif %}"""

PATCH = 14  # the vision tower's patch side; the processor merges 2x2 patches into one image token
MERGE = 2


def build_tiny_glm4v(folder: Path, *, seed: int = 0) -> dict[str, int]:
    """Write the checkpoint to `folder`; return the special tokens' ids."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import Glm4vConfig, Glm4vForConditionalGeneration, PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import bytes_to_unicode
    from transformers.models.glm4v.image_processing_pil_glm4v import Glm4vImageProcessorPil

    # One token per byte, no merges: a 256-symbol vocabulary that encodes any UTF-8 text.
    vocab = {symbol: i for i, symbol in enumerate(bytes_to_unicode().values())}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens(SPECIAL_TOKENS)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token="<|endoftext|>", pad_token="<|endoftext|>", chat_template=CHAT_TEMPLATE
    )
    ids = {token: tokenizer.convert_tokens_to_ids(token) for token in SPECIAL_TOKENS}
    # Pixel bounds far above what the tests send: the engine's own resize decides the image size.
    image_processor = Glm4vImageProcessorPil(
        size={"shortest_edge": (PATCH * MERGE) ** 2, "longest_edge": (PATCH * MERGE) ** 2 * 1024},
        patch_size=PATCH,
        merge_size=MERGE,
        temporal_patch_size=2,
    )
    config = Glm4vConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 16,
            "intermediate_size": 22,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "max_position_embeddings": 16384,  # the grounding text is a few thousand byte tokens
            "rope_parameters": {"rope_type": "default", "mrope_section": [2, 1, 1], "rope_theta": 10000.0},
            "eos_token_id": ids["<|endoftext|>"],
            "pad_token_id": ids["<|endoftext|>"],
            "tie_word_embeddings": True,
        },
        vision_config={
            "depth": 1,
            "hidden_size": 32,
            "out_hidden_size": 16,
            "intermediate_size": 22,
            "num_heads": 2,
            "patch_size": PATCH,
            "spatial_merge_size": MERGE,
            "temporal_patch_size": 2,
        },
        image_token_id=ids["<|image|>"],
        video_token_id=ids["<|video|>"],
        image_start_token_id=ids["<|begin_of_image|>"],
        image_end_token_id=ids["<|end_of_image|>"],
        video_start_token_id=ids["<|begin_of_video|>"],
        video_end_token_id=ids["<|end_of_video|>"],
    )
    torch.manual_seed(seed)
    Glm4vForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    image_processor.save_pretrained(folder)
    (folder / "chat_template.jinja").write_text(CHAT_TEMPLATE, encoding="utf-8")
    (folder / "processor_config.json").write_text(json.dumps({"processor_class": "Glm4vProcessor"}), encoding="utf-8")
    return ids
