"""Small local stand-ins for the Hub assets the VLAs name (nothing is downloaded): a BPE
tokenizer trained here on a few sentences, with SmolVLM's and PaliGemma's special tokens, and
tiny SmolVLM / PaliGemma architectures.

This file is loaded by path, by lr's tests and by the scripts that drive LeRobot 0.6.1 in its
own venv, so it imports only the tokenizers/transformers both have.
"""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "pick up the red cube and put it in the box",
    "push the blue block to the left",
    "open the drawer, then close it",
    "Task: reach the target, State: 12 200 3 45;\nAction: ",
    "move the arm to the green ball",
    "stack the cubes 0 1 2 3 4 5 6 7 8 9",
]

SMOLVLM_SPECIALS = {
    "fake_image_token": "<fake_token_around_image>",
    "image_token": "<image>",
    "global_image_token": "<global-img>",
    "end_of_utterance_token": "<end_of_utterance>",
}

#: The tiny SmolVLM: 4 Llama layers of 64 (4 heads / 2 KV heads of 16), SigLIP of 2 layers of 32
#: at 32 px with 8 px patches, pixel-shuffle scale 2 (4 tokens per image).
TINY_SMOLVLM = {
    "model_type": "smolvlm",
    "scale_factor": 2,
    "tie_word_embeddings": False,
    "text_config": {
        "model_type": "llama",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
        "max_position_embeddings": 512,
        "rms_norm_eps": 1e-5,
        "pad_token_id": 0,
        # as SmolVLM2's: the text model (and the expert) are built in bfloat16
        "torch_dtype": "bfloat16",
    },
    "vision_config": {
        "model_type": "smolvlm_vision",
        "hidden_size": 32,
        "intermediate_size": 64,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "image_size": 32,
        "patch_size": 8,
    },
}


def _tokenizer(specials: list[str], bos: str | None, eos: str, pad: str, unk: str, named=None):  # type: ignore[no-untyped-def]
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=unk))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=[pad, eos, unk, *([bos] if bos else []), *specials],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(SENTENCES, trainer)
    if bos:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A $B", special_tokens=[(bos, tok.token_to_id(bos))]
        )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=bos,
        eos_token=eos,
        pad_token=pad,
        unk_token=unk,
        **({"extra_special_tokens": named} if named else {}),
    )


def make_smolvlm(folder: Path) -> Path:
    """A tiny SmolVLM folder: config.json, tokenizer and (where torchvision is installed, as
    in LeRobot's venv) processor files: what LeRobot's ``AutoConfig`` /
    ``AutoProcessor.from_pretrained(vlm_model_name)`` read. lr reads config.json and the
    tokenizer only."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(
        list(SMOLVLM_SPECIALS.values()),
        "<|im_start|>",
        "<end_of_utterance>",
        "<|im_end|>",
        "<|endoftext|>",
        named=dict(SMOLVLM_SPECIALS),
    )
    config = json.loads(json.dumps(TINY_SMOLVLM))
    config["vocab_size"] = len(tok)
    config["text_config"]["vocab_size"] = len(tok)
    config["image_token_id"] = tok.convert_tokens_to_ids("<image>")
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    try:
        from transformers import SmolVLMImageProcessor, SmolVLMProcessor, SmolVLMVideoProcessor

        processor = SmolVLMProcessor(
            image_processor=SmolVLMImageProcessor(max_image_size={"longest_edge": 32}),
            tokenizer=tok,
            video_processor=SmolVLMVideoProcessor(),
            image_seq_len=4,
        )
    except ImportError:  # no torchvision: the tokenizer alone
        tok.save_pretrained(str(folder))
    else:
        processor.save_pretrained(str(folder))
    return folder


def make_paligemma_tokenizer(folder: Path) -> Path:
    """A tiny tokenizer with PaliGemma's conventions (BOS prepended)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _tokenizer([], "<bos>", "<eos>", "<pad>", "<unk>").save_pretrained(str(folder))
    return folder


#: Tiny π0 / π0.5 architecture (8 heads: LeRobot hard-codes 8 in its attention reshape): Gemma
#: variants and the SigLIP tower, patched over openpi's gemma_2b / gemma_300m and so400m/14 on
#: both sides.
TINY_GEMMA = {
    "gemma_2b": {
        "width": 64,
        "depth": 3,
        "mlp_dim": 128,
        "num_heads": 8,
        "num_kv_heads": 1,
        "head_dim": 8,
    },
    "gemma_300m": {
        "width": 48,
        "depth": 3,
        "mlp_dim": 96,
        "num_heads": 8,
        "num_kv_heads": 1,
        "head_dim": 8,
    },
}
TINY_SIGLIP = {
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "patch_size": 8,
}
TINY_VOCAB = 300
