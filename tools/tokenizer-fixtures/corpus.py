"""The multilingual training text and the test strings for the tokenizer fixtures.

Kept as Python string literals (not a .txt file) so that tabs, \r\n, trailing spaces and invisible
characters survive editors and git unchanged.
"""

# Training text: each entry is one "document"; the trainer sees them as separate sequences.
TRAINING = [
    "The quick brown fox jumps over the lazy dog. It's a classic sentence, isn't it? We've used it, they'll use it, I'd use it again.",
    "Mixture-of-Experts models route every token to a few experts; the router picks the top-2 of 8 experts in Mixtral.",
    "In 2024, the model had 46.7 billion parameters, of which 12.9 billion were active per token (about 27.6%).",
    "Hello, world!  Hello,   world!\tTabs\tand  double  spaces.\nNew lines\n\nand blank lines.\r\nWindows line endings\r\n too.",
    "   leading spaces and trailing spaces   ",
    "\t\tindented with tabs\n    indented with four spaces\n        and eight spaces",
    "Der schnelle braune Fuchs springt über den faulen Hund. Größe, Straße, Übermäßig, schön, Mädchen, Äpfel, Öl.",
    "Le cœur a ses raisons que la raison ne connaît point. Où est la bibliothèque ? Très bien, merci ! « Bonjour » à l'été.",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. Привет, мир! Москва — столица России.",
    "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Καλημέρα κόσμε! Η γλώσσα μου έδωσαν ελληνική.",
    "我能吞下玻璃而不伤身体。你好，世界！今天天气很好，我们去公园散步吧。机器学习和人工智能。",
    "私はガラスを食べられます。それは私を傷つけません。こんにちは世界！カタカナとひらがなと漢字。",
    "나는 유리를 먹을 수 있어요. 그래도 아프지 않아요. 안녕하세요 세계! 한국어 문장입니다.",
    "أنا قادر على أكل الزجاج و هذا لا يؤلمني. مرحبا بالعالم! اللغة العربية جميلة.",
    "मैं काँच खा सकता हूँ और मुझे उससे कोई चोट नहीं पहुंचती। नमस्ते दुनिया! हिन्दी भाषा।",
    "Emoji: 😀 😃 😄 👍🏽 ❤️ 🎉 🚀 🇺🇸 🇩🇪 🇯🇵 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 ✨ 🔥 💯",
    "def route(x, w):\n    logits = x @ w.T  # [tokens, experts]\n    top = logits.topk(2, dim=-1)\n    return top.indices, top.values.softmax(-1)\n",
    "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\nreturn sum;",
    "{\"name\": \"moe4j\", \"version\": \"0.1.0\", \"experts\": [8, 16], \"ok\": true, \"pi\": 3.14159}",
    "Numbers: 0 1 2 3 42 123 1234 12345 123456 1234567 3.14 -2.5e10 1,000,000 2024-06-01 12:30:45 +49 (0)30 1234567",
    "URLs and paths: https://example.com/a/b?c=d&e=f#g /usr/local/bin/java C:\\Program Files\\Java ~/.cache/moe4j",
    "Punctuation!!! ??? ... --- *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}} <<< >>> ||| ~~~ ``` ''' \"\"\"",
    "THE QUICK BROWN FOX. The Quick Brown Fox. the quick brown fox. I'M, YOU'RE, WE'VE, SHE'LL, HE'D, IT'S.",
    "Mixed: café naïve résumé coöperate façade jalapeño piñata São Paulo Zürich Kraków Ærø Ísland.",
    "Math: ∑ ∫ √ ∞ ≈ ≠ ≤ ≥ ± × ÷ ∂ ∇ ∈ ∉ ⊂ ⊃ ∪ ∩ α β γ δ ε λ μ π σ ω Ω.",
    "Currency: $100 €200 £300 ¥400 ₹500 ₽600 ₩700 ¢ ₿",
    "A long line of repeated words words words words words words words words words words words words.",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
    "The experts are small feed-forward networks; the gate is a linear layer followed by a softmax over the experts.",
    "Tokenizers split text into pieces: words, subwords, bytes. Byte fallback handles anything the vocabulary lacks.",
]

# Test strings: the training text again, plus text the trainer never saw.
EXTRA = [
    "",
    " ",
    "  ",
    "   ",
    "\t",
    "\n",
    "\r\n",
    " \n \t ",
    "a",
    "Hello",
    " Hello",
    "Hello ",
    "Hello world",
    "Hello  world",
    "Hello\tworld\n",
    "hello\r\nworld\r\n",
    "It's THE end. I'LL see. We'Ve 's 'S 'd",
    "ſ's and 'ſ and K",  # long s and Kelvin sign fold to s / k under Unicode case-insensitivity
    "unbelievable antidisestablishmentarianism supercalifragilisticexpialidocious",
    # Unseen scripts and symbols: byte fallback / byte-level territory.
    "ภาษาไทย สวัสดีครับ",
    "தமிழ் மொழி வணக்கம்",
    "ქართული ენა გამარჯობა",
    "Հայերեն ლ ᚠᛇᚻ ᚱᚢᚾᛖ",
    "𝄞 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𠀀𠀁 𝟘𝟙𝟚",
    "🧑‍🚀🧑🏿‍🦰 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🇪🇺🇺🇳 🫠🫡 1️⃣ #️⃣",
    "e\u0301 a\u0308 n\u0303 \u1e9b\u0323",  # combining marks
    "zero\u200bwidth\u200cjoin\u200dners \ufeffbom",
    "nbsp\u00a0here ideographic\u3000space line\u2028sep para\u2029sep nel\u0085x",
    "control \u0000 \u0001 \u001f \u007f chars",
    "fullwidth １２３ ＡＢＣ superscript ² ³ roman Ⅻ ⅳ devanagari ४२ arabic ٤٢",
    "x" * 300,
    "🎉" * 40,
    "   " + "word " * 20 + "   ",
    "ends with spaces   ",
    "   starts with spaces",
    "\n\n\n\nmany newlines\n\n\n",
    "tabs\t\t\tand\t spaces \t mixed",
    "mixed \r\n\r\n line endings \n\r",
    "Ünïcödé ÜBER über ÜBER-ÜBER",
    "日本語と English が混ざった文章です。",
    "한국어와 English 섞인 문장",
    "Русский и English вместе",
    "مرحبا Hello שלום",
    "1 12 123 1234 12345 123456789012345678901234567890",
    "3.141592653589793 2.718281828 6.02214076e23",
    "'''\"\"\"```~~~",
    "<<>> <> </> <<<s>>>",
    "def f(x):\n\treturn x ** 2\n\n\nprint(f(3))\n",
]

# Strings that mention special tokens; each tokenizer's cases use its own token names.
SPECIAL_TEMPLATES = [
    "{bos}",
    "{bos}{bos}",
    "{bos}Hello",
    "Hello{eos}",
    "Hello {bos} world {eos} !",
    "Hello{bos}world",
    "  {bos}  ",
    "{bos}\n{eos}\n",
    "<{bos}>",
    "text{eos}{bos}more text",
]

# Fragments random test strings are glued from: words seen in training, unseen scripts, odd whitespace,
# emoji sequences, digits, punctuation, lookalikes of special tokens.
_FRAGMENTS = [
    "the", "The", "THE", "quick", "experts", "router", "token", "Hello", "world", "über", "straße", "cœur",
    "été", "привет", "мир", "καλημέρα", "机器学习", "世界", "こんにちは", "カタカナ", "안녕하세요", "مرحبا",
    "नमस्ते", "ภาษาไทย", "தமிழ்", "ქართული", "𝔘𝔫𝔦", "𠀀", "ſ", "K", "İ", "ß", "ﬁ",
    " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \n", "\u00a0", "\u3000", "\u2028", "\u0085", "\u200b",
    "\u200d", "\ufeff", "\u0301", "\u0308",
    "😀", "👍🏽", "❤️", "🇺🇸", "🇩🇪", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🫠", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿",
    "0", "7", "42", "123", "1234", "99999", "3.14", "-1", "１２", "²", "Ⅻ", "४२",
    ".", ",", "!", "?", "'", "'s", "'S", "'ll", "'re", "'ve", "'d", "'m", "\"", "(", ")", "[", "]", "{", "}",
    "<", ">", "|", "/", "\\", "#", "@", "$", "%", "&", "*", "_", "-", "--", "...", "->", "=>", "::",
    "<0x41>", "<|", "|>", "<s", "s>", "</", "▁", "Ġ", "Ċ", "\u0000", "\u007f",
]


def random_text(rng, specials):
    """A random string of 1 to 12 fragments, now and then with one of the tokenizer's special tokens."""
    parts = []
    for _ in range(rng.randint(1, 12)):
        r = rng.random()
        if r < 0.08:
            parts.append(rng.choice(specials))
        elif r < 0.12:
            parts.append(chr(rng.randint(0x20, 0x2FFF)))
        else:
            parts.append(rng.choice(_FRAGMENTS))
    return "".join(parts)
