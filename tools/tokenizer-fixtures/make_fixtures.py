#!/usr/bin/env python3
"""Trains small Hugging Face tokenizers and writes golden test cases for moe4j's Java tokenizer.

Run from the repository root:

    pip install tokenizers          # any 0.2x; fixtures were made with 0.23.2
    python3 tools/tokenizer-fixtures/make_fixtures.py

It writes into models/src/test/resources/tokenizer/:

    <name>.json        a tokenizer.json (the format Hugging Face models ship)
    <name>.cases.json  strings with the ids `tokenizers` gives them, the decoded texts, and id
                       sequences that are only decoded (invalid UTF-8 from byte tokens, unknown ids)

The tokenizers are trained here (no downloads) on corpus.TRAINING, then given the pipelines of real
model families: Llama 2 / Mixtral (BPE + byte fallback + SentencePiece metaspace), the newer Mistral
layout (Metaspace pre-tokenizer, prepend_scheme "first"), a SentencePiece BPE without byte fallback
(unknown token), GPT-2 (byte-level BPE) and cl100k / DBRX / Llama 3 (regex Split + byte-level BPE).
Python is only used to make these files; the Java tests never run it.
"""

import argparse
import json
import os
import random
import sys

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from tokenizers.decoders import DecodeStream

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

RESOURCES = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                          "models", "src", "test", "resources", "tokenizer"))

CL100K = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
          r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
SPM = "\u2581"


def added(content, id_, special=True, normalized=False, lstrip=False, rstrip=False, single_word=False):
    return {"id": id_, "content": content, "single_word": single_word, "lstrip": lstrip,
            "rstrip": rstrip, "normalized": normalized, "special": special}


def train(pre_tokenizer, special_tokens, vocab_size, byte_level, normalizer=None):
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    kwargs = dict(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False)
    if byte_level:
        kwargs["initial_alphabet"] = pre_tokenizers.ByteLevel.alphabet()
    else:
        kwargs["limit_alphabet"] = 400
    tok.train_from_iterator(corpus.TRAINING * 3, trainers.BpeTrainer(**kwargs))
    return json.loads(tok.to_str())


def sentencepiece_model():
    """A BPE vocabulary laid out like Llama 2's: <unk> <s> </s>, the 256 <0xXX> bytes, then pieces."""
    # Train on "▁"-joined words; runs of spaces become runs of "▁" that may merge (like Llama's "▁▁▁▁").
    trained = train(pre_tokenizers.Split(Regex(SPM + "*[^" + SPM + "]+|" + SPM + "+"), "isolated"),
                    [], 1740, False,
                    normalizers.Sequence([normalizers.Prepend(SPM), normalizers.Replace(" ", SPM)]))
    pieces = sorted(trained["model"]["vocab"].items(), key=lambda kv: kv[1])
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for piece, _ in pieces:
        if piece not in vocab:
            vocab[piece] = len(vocab)
    merges = [" ".join(m) if isinstance(m, list) else m for m in trained["model"]["merges"]]
    assert all(len(m.split(" ")) == 2 for m in merges)
    return {"type": "BPE", "dropout": None, "unk_token": "<unk>", "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": True, "byte_fallback": True,
            "ignore_merges": False, "vocab": vocab, "merges": merges}


def document(model, added_tokens, normalizer=None, pre_tokenizer=None, post_processor=None, decoder=None):
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added_tokens,
            "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
            "decoder": decoder, "model": model}


def template(bos, bos_id):
    return {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}}}


SPM_DECODER = {"type": "Sequence", "decoders": [
    {"type": "Replace", "pattern": {"String": SPM}, "content": " "},
    {"type": "ByteFallback"}, {"type": "Fuse"},
    {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}


def llama2(model):
    """Llama 2 / Mixtral 8x7B: normalizer Prepend + Replace, no pre-tokenizer, <s> template."""
    model = dict(model)
    tool_id = len(model["vocab"])
    return document(
        model,
        [added("<unk>", 0), added("<s>", 1), added("</s>", 2),
         added("<|tool|>", tool_id, special=False, normalized=True)],
        normalizer={"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SPM},
            {"type": "Replace", "pattern": {"String": " "}, "content": SPM}]},
        post_processor=template("<s>", 1), decoder=SPM_DECODER)


def mistral(model):
    """Newer Mistral layout: Metaspace pre-tokenizer (prepend_scheme first, no split), more added tokens."""
    model = dict(model)
    model["merges"] = [m.split(" ") for m in model["merges"]]  # the [["a", "b"]] merges format
    n = len(model["vocab"])
    return document(
        model,
        [added("<unk>", 0), added("<s>", 1), added("</s>", 2),
         added("[INST]", n), added("[/INST]", n + 1),
         added("<mask>", n + 2, lstrip=True, rstrip=True),
         added("qwertz", n + 3, special=False, single_word=True),
         added("<|tool|>", n + 4, special=False, normalized=True)],
        pre_tokenizer={"type": "Metaspace", "replacement": SPM, "prepend_scheme": "first", "split": False},
        post_processor=template("<s>", 1),
        decoder={"type": "Sequence", "decoders": [
            {"type": "ByteFallback"},
            {"type": "Metaspace", "replacement": SPM, "prepend_scheme": "first", "split": False},
            {"type": "Fuse"}]})


def spm_unk(model):
    """SentencePiece BPE without byte fallback: unknown characters become <unk> (not fused)."""
    model = dict(model, byte_fallback=False, fuse_unk=False)
    return document(
        model, [added("<unk>", 0), added("<s>", 1), added("</s>", 2)],
        pre_tokenizer={"type": "Metaspace", "replacement": SPM, "prepend_scheme": "always", "split": True},
        decoder={"type": "Metaspace", "replacement": SPM, "prepend_scheme": "always", "split": True})


def byte_level_model(trained, ignore_merges=False):
    m = trained["model"]
    return {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
            "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False,
            "ignore_merges": ignore_merges, "vocab": m["vocab"], "merges": m["merges"]}


def gpt2(trained, add_prefix_space=False):
    """GPT-2: ByteLevel pre-tokenizer with its built-in regex, ByteLevel decoder and post-processor."""
    model = byte_level_model(trained)
    tokens = [added("<|endoftext|>", model["vocab"]["<|endoftext|>"])]
    if add_prefix_space:  # RoBERTa-like <mask>: eats the spaces around it
        tokens.append(added("<mask>", len(model["vocab"]), lstrip=True, rstrip=False))
    byte_level = {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True,
                  "use_regex": True}
    return document(model, tokens, pre_tokenizer=byte_level, post_processor=byte_level,
                    decoder=dict(byte_level))


CL100K_SPECIALS = ["<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
                   "<|im_start|>", "<|im_end|>", "<|pad|>"]


def cl100k(trained, inverted=False):
    """cl100k / DBRX: Split on the cl100k regex, then ByteLevel without its own regex.

    inverted: the Split as some converted tiktoken files write it (behavior Removed, invert true),
    ignore_merges as in Llama 3, and a Sequence post-processor that adds <|endoftext|> in front.
    """
    model = byte_level_model(trained, ignore_merges=inverted)
    tokens = [added(t, model["vocab"][t]) for t in CL100K_SPECIALS]
    split = {"type": "Split", "pattern": {"Regex": CL100K},
             "behavior": "Removed" if inverted else "Isolated", "invert": inverted}
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}
    post = dict(byte_level, trim_offsets=False)
    if inverted:
        post = {"type": "Sequence", "processors": [post, template("<|endoftext|>", model["vocab"]["<|endoftext|>"])]}
    return document(model, tokens,
                    pre_tokenizer={"type": "Sequence", "pretokenizers": [split, byte_level]},
                    post_processor=post, decoder=dict(byte_level))


def stream(tok, ids, skip):
    """The chunks `tokenizers`' DecodeStream yields (None: nothing yet), or None where it gives up.

    DecodeStream raises "Invalid prefix" when a later byte token turns earlier decoded text into
    replacement characters (random ids do that); moe4j's stream decoder holds such text back instead.
    """
    ds = DecodeStream(skip_special_tokens=skip)
    try:
        return [ds.step(tok, i) for i in ids]
    except Exception as e:  # noqa: BLE001 - the tokenizers package raises a plain Exception
        if "Invalid prefix" not in str(e):
            raise
        return None


def cases(tok, specials, byte_tokens, n_random, random_text):
    """The golden cases for one tokenizer: every test string encoded and decoded by `tokenizers`."""
    bos, eos = specials
    texts = list(corpus.TRAINING) + list(corpus.EXTRA)
    texts += [t.format(bos=bos, eos=eos) for t in corpus.SPECIAL_TEMPLATES]
    texts += ["<|tool|> call <|tool|>x", "[INST] hi [/INST]", "a <mask> b <mask>c",
              "qwertz qwertzs xqwertz qwertz! _qwertz qwertz1 qwertzé (qwertz)"]
    text_rng = random.Random(42)
    texts += [random_text(text_rng, (bos, eos)) for _ in range(n_random)]
    out = []
    for text in texts:
        enc = tok.encode(text, add_special_tokens=False)
        enc_special = tok.encode(text, add_special_tokens=True)
        case = {"text": text, "ids": enc.ids, "ids_special": enc_special.ids,
                "decoded": tok.decode(enc_special.ids, skip_special_tokens=False),
                "decoded_skip": tok.decode(enc_special.ids, skip_special_tokens=True)}
        if len(enc_special.ids) <= 60:
            case["stream"] = stream(tok, enc_special.ids, False)
        out.append(case)
    long_text = "\n".join(corpus.TRAINING)
    out.append({"text": long_text, "ids": tok.encode(long_text, add_special_tokens=False).ids,
                "ids_special": tok.encode(long_text, add_special_tokens=True).ids,
                "decoded": tok.decode(tok.encode(long_text).ids, skip_special_tokens=False),
                "decoded_skip": tok.decode(tok.encode(long_text).ids, skip_special_tokens=True)})

    # Id sequences that are only decoded: broken UTF-8 from byte tokens, unknown ids, specials.
    rng = random.Random(1234)
    size = tok.get_vocab_size(with_added_tokens=True)
    id_lists = [[], [size + 5], [3, size + 5, 4]]
    id_lists += [byte_tokens(b) for b in ([0xE2], [0xE2, 0x82], [0xE2, 0x82, 0xAC], [0xF0, 0x9F, 0x98],
                                         [0x80], [0xC3, 0x28], [0xE2, 0x82, 0x41], [0xFF, 0xFE],
                                         [0xF0, 0x9F, 0x98, 0x80, 0xF0, 0x9F], [0xED, 0xA0, 0x80])]
    for i in range(max(24, n_random)):
        id_lists.append([rng.randrange(size) for _ in range((1, 2, 3, 5, 8, 30)[i % 6])])
    decode_cases = [{"ids": ids, "decoded": tok.decode(ids, skip_special_tokens=False),
                     "decoded_skip": tok.decode(ids, skip_special_tokens=True),
                     "stream": stream(tok, ids, False)} for ids in id_lists]
    return {"vocab_size": tok.get_vocab_size(with_added_tokens=True), "cases": out,
            "decode_cases": decode_cases}


def write(out_dir, n_random, name, doc, specials, byte_tokens, random_text=corpus.random_text):
    """Writes <name>.json and <name>.cases.json into out_dir."""
    text = json.dumps(doc, ensure_ascii=False, indent=None, separators=(",", ":"))
    tok = Tokenizer.from_str(text)
    with open(os.path.join(out_dir, name + ".json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out_dir, name + ".cases.json"), "w", encoding="utf-8") as f:
        json.dump(dict(tokenizer=name + ".json", **cases(tok, specials, byte_tokens, n_random, random_text)), f,
                  ensure_ascii=False, separators=(",", ":"))
        f.write("\n")


def fixtures():
    """Every fixture: (name, tokenizer.json document, (bos, eos) for the special-token strings, bytes -> ids)."""
    spm = sentencepiece_model()
    spm_bytes = lambda bs: [spm["vocab"]["<0x%02X>" % b] for b in bs]  # noqa: E731
    yield "llama2", llama2(spm), ("<s>", "</s>"), spm_bytes
    yield "mistral", mistral(spm), ("<s>", "</s>"), spm_bytes
    yield "spm-unk", spm_unk(spm), ("<s>", "</s>"), spm_bytes

    gpt2_trained = train(pre_tokenizers.ByteLevel(add_prefix_space=False), ["<|endoftext|>"], 2000, True)
    b2c = bytes_to_unicode()
    gpt2_bytes = lambda bs: [gpt2_trained["model"]["vocab"][b2c[b]] for b in bs]  # noqa: E731
    yield "gpt2", gpt2(gpt2_trained), ("<|endoftext|>", "<|endoftext|>"), gpt2_bytes
    yield "gpt2-prefix-space", gpt2(gpt2_trained, add_prefix_space=True), ("<mask>", "<|endoftext|>"), gpt2_bytes

    cl_trained = cl100k_trained()
    cl_bytes = lambda bs: [cl_trained["model"]["vocab"][b2c[b]] for b in bs]  # noqa: E731
    yield "cl100k", cl100k(cl_trained), ("<|im_start|>", "<|im_end|>"), cl_bytes
    yield "cl100k-inverted", cl100k(cl_trained, inverted=True), ("<|endoftext|>", "<|fim_middle|>"), cl_bytes


def cl100k_trained():
    return train(pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(CL100K), "isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]), CL100K_SPECIALS, 2000, True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=RESOURCES, help="output folder (default: the test resources)")
    parser.add_argument("--random", type=int, default=30,
                        help="random strings (and random id lists) per tokenizer (default 30)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for fixture in fixtures():
        write(args.out, args.random, *fixture)


def bytes_to_unicode():
    """GPT-2's byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


if __name__ == "__main__":
    main()
