"""Writes GGUF files holding only tokenizer metadata, converted from the committed tokenizer.json fixtures.

    pip install gguf                  # the files were made with gguf 0.19
    python3 tools/tokenizer-fixtures/make_gguf_fixtures.py

Writes into models/src/test/resources/tokenizer/:

  gguf-llama2.gguf   tokenizer.ggml.model "llama" from llama2.json: tokens by id, token types as llama.cpp's
                     converter sets them (<unk> UNKNOWN, special added tokens CONTROL, other added tokens
                     USER_DEFINED, <0xNN> BYTE, the rest NORMAL) and SentencePiece-style scores: -id for
                     normal tokens, so a later-merged (longer) piece scores lower, 0 for the others.
  gguf-gpt2.gguf     tokenizer.ggml.model "gpt2", tokenizer.ggml.pre "gpt-2", from gpt2.json with its merges.
  gguf-cl100k.gguf   tokenizer.ggml.model "gpt2", tokenizer.ggml.pre "dbrx" (the cl100k regex), from cl100k.json.

The expected ids are the tokenizers-package encodings in the matching <name>.cases.json: the GGUF files
carry the same vocabulary, so a GGUF tokenizer must give the same ids (the Java test says where llama.cpp's
rules differ from the tokenizer.json pipeline and which cases it leaves out for that).
"""
import json
from pathlib import Path

import gguf

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "models" / "src" / "test" / "resources" / "tokenizer"


def tokens_by_id(tj):
    vocab = dict(tj["model"]["vocab"])
    for added in tj.get("added_tokens", []):
        vocab.setdefault(added["content"], added["id"])
    size = max(vocab.values()) + 1
    tokens = [None] * size
    for text, i in vocab.items():
        tokens[i] = text
    missing = [i for i, t in enumerate(tokens) if t is None]
    if missing:
        raise SystemExit(f"ids without a token: {missing[:10]}")
    return tokens


def token_types(tj, tokens, unk):
    added = {a["content"]: a for a in tj.get("added_tokens", [])}
    types = []
    for text in tokens:
        if text == unk:
            types.append(gguf.TokenType.UNKNOWN)
        elif text in added:
            types.append(gguf.TokenType.CONTROL if added[text]["special"] else gguf.TokenType.USER_DEFINED)
        elif len(text) == 6 and text.startswith("<0x") and text.endswith(">"):
            types.append(gguf.TokenType.BYTE)
        else:
            types.append(gguf.TokenType.NORMAL)
    return types


def writer(name):
    w = gguf.GGUFWriter(str(RESOURCES / f"gguf-{name}.gguf"), arch="llama")
    w.add_name(f"{name} tokenizer fixture")
    return w


def finish(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def llama2():
    tj = json.loads((RESOURCES / "llama2.json").read_text())
    tokens = tokens_by_id(tj)
    unk = tj["model"]["unk_token"]
    types = token_types(tj, tokens, unk)
    scores = [-float(i) if t == gguf.TokenType.NORMAL else 0.0 for i, t in enumerate(types)]
    w = writer("llama2")
    w.add_tokenizer_model("llama")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(tokens.index("<s>"))
    w.add_eos_token_id(tokens.index("</s>"))
    w.add_unk_token_id(tokens.index(unk))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_add_space_prefix(True)
    finish(w)


def bpe(name, pre, eos):
    tj = json.loads((RESOURCES / f"{name}.json").read_text())
    tokens = tokens_by_id(tj)
    types = token_types(tj, tokens, None)
    merges = [m if isinstance(m, str) else f"{m[0]} {m[1]}" for m in tj["model"]["merges"]]
    w = writer(name)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index(eos))
    w.add_eos_token_id(tokens.index(eos))
    w.add_add_bos_token(False)
    finish(w)


if __name__ == "__main__":
    llama2()
    bpe("gpt2", "gpt-2", "<|endoftext|>")
    bpe("cl100k", "dbrx", "<|endoftext|>")
