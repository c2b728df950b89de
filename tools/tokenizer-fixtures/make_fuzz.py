#!/usr/bin/env python3
"""A fuzz run for moe4j's tokenizer, too big to commit: the fixture tokenizers and variants of them (other
split regexes, including Oniguruma corner cases, every split behavior, normalizers), each with thousands of
random strings and random id lists, encoded and decoded by the `tokenizers` package.

    python3 tools/tokenizer-fixtures/make_fuzz.py /tmp/tokenizer-fuzz
    mvn -q -B -pl models -am test -Dtest='io.moe4j.models.tokenizer.TokenizerGoldenTest' \\
        -Dsurefire.failIfNoSpecifiedTests=false -Dmoe4j.tokenizer.fixtures=/tmp/tokenizer-fuzz

The golden test then checks every *.cases.json in that folder instead of the committed fixtures.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402
import make_fixtures as mf  # noqa: E402

# Split regexes of other model families (as their tokenizer.json files write them), and odd ones.
O200K = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
DEEPSEEK = [r"\p{N}{1,3}", "[一-龥\u3040-ゟ゠-ヿ]+",
            "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
            "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"]
TIKTOKEN_POSSESSIVE = (r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"
                       r"|\s++$|\s*[\r\n]|\s+(?!\S)|\s")
ONIGURUMA_ODD = r"^\h+|\H{2}|.{,3}|\p{^L}{2}|a{|}b|[]x]|\d{2}+"
LINES = r"^.|.$|\n"


def nasty_text(rng, specials):
    """corpus.random_text fragments mixed with code points from all of Unicode (emoji, CJK extensions, unassigned)."""
    parts = []
    for _ in range(rng.randint(1, 40)):
        if rng.random() < 0.3:
            parts.append(chr(rng.choice([rng.randint(0x20, 0x7F), rng.randint(0x80, 0x7FF), rng.randint(0x800, 0xD7FF),
                                         rng.randint(0xE000, 0xFFFD), rng.randint(0x10000, 0x1FFFF),
                                         rng.randint(0x20000, 0x10FFFF)])))
        else:
            parts.append(corpus.random_text(rng, specials))
    return "".join(parts)


def variants():
    """cl100k's model behind other pre-tokenizers and normalizers."""
    trained = mf.cl100k_trained()
    b2c = mf.bytes_to_unicode()
    byte_ids = lambda bs: [trained["model"]["vocab"][b2c[b]] for b in bs]  # noqa: E731

    def split(patterns, behavior="Isolated", normalizer=None, first=None):
        doc = mf.cl100k(trained)
        steps = doc["pre_tokenizer"]["pretokenizers"]
        steps[:-1] = [{"type": "Split", "pattern": {"Regex": p}, "behavior": behavior, "invert": False} for p in patterns]
        if first:
            steps.insert(0, first)
        doc["normalizer"] = normalizer
        return doc

    specials = ("<|im_start|>", "<|im_end|>")
    yield "o200k", split([O200K]), specials, byte_ids
    yield "qwen2", split([QWEN2]), specials, byte_ids
    yield "deepseek", split(DEEPSEEK), specials, byte_ids
    yield "tiktoken-possessive", split([TIKTOKEN_POSSESSIVE]), specials, byte_ids
    yield "oniguruma-odd", split([ONIGURUMA_ODD]), specials, byte_ids
    yield "line-anchors", split([LINES]), specials, byte_ids
    yield "merged-with-previous", split([mf.CL100K], "MergedWithPrevious"), specials, byte_ids
    yield "contiguous", split([mf.CL100K], "Contiguous"), specials, byte_ids
    yield "merged-with-next", split([r"\s"], "MergedWithNext"), specials, byte_ids
    yield "digits-removed", split([r"\s"], "Removed", first={"type": "Digits", "individual_digits": True}), \
        specials, byte_ids
    yield "normalizers", split([mf.CL100K], normalizer={"type": "Sequence", "normalizers": [
        {"type": "NFKC"}, {"type": "Lowercase"}, {"type": "Strip", "strip_left": True, "strip_right": True},
        {"type": "Replace", "pattern": {"Regex": r"\d+"}, "content": "#"}]}), specials, byte_ids
    yield "nfd", split([mf.CL100K], normalizer={"type": "NFD"}), specials, byte_ids


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help="output folder (outside the repository)")
    parser.add_argument("--random", type=int, default=2000, help="random strings per tokenizer (default 2000)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for fixture in mf.fixtures():
        mf.write(args.out, args.random, *fixture)
        name, doc, specials, byte_ids = fixture
        mf.write(args.out, args.random, name + "-nasty", doc, specials, byte_ids, nasty_text)
    for fixture in variants():
        mf.write(args.out, args.random, *fixture)
        if fixture[1]["normalizer"] is None:
            # Not with normalizers: tokenizers' NFKC tables predate Unicode 14, the JDK's do not, so characters
            # assigned since (U+107B2 and the rest of Latin Extended-F, say) normalize differently. Known, and
            # irrelevant for the model families moe4j targets, which use no Unicode normalizer.
            mf.write(args.out, args.random // 2, fixture[0] + "-nasty", *fixture[1:], random_text=nasty_text)


if __name__ == "__main__":
    main()
