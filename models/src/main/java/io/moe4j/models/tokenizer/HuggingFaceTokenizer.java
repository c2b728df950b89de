package io.moe4j.models.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * The {@code tokenizers} pipeline over a BPE model. Encoding: added tokens are split out of the raw text,
 * the rest is normalized, normalized added tokens are split out of that, the pre-tokenizer cuts it into
 * pieces, the model tokenizes each piece, and the post-processor adds special tokens. Decoding: ids become
 * token strings, which the decoder chain turns into text.
 */
final class HuggingFaceTokenizer implements Tokenizer {
    private final Bpe model;
    private final AddedTokens addedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final PostProcessor postProcessor;
    private final Decoder decoder;

    /** {@code normalizer}, {@code preTokenizer} and {@code decoder} may be null (the file has none). */
    HuggingFaceTokenizer(Bpe model, AddedTokens addedTokens, Normalizer normalizer, PreTokenizer preTokenizer,
                         PostProcessor postProcessor, Decoder decoder) {
        this.model = model;
        this.addedTokens = addedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.postProcessor = postProcessor;
        this.decoder = decoder;
    }

    @Override
    public int[] encode(String text, boolean addSpecialTokens) {
        IntList ids = new IntList(Math.max(16, text.length() / 3));
        List<Piece> pieces = new ArrayList<>();
        for (AddedTokens.Segment raw : addedTokens.splitRaw(text)) {
            if (raw.isToken()) {
                ids.add(raw.tokenId());
                continue;
            }
            String normalized = normalizer == null ? raw.text() : normalizer.normalize(raw.text());
            for (AddedTokens.Segment segment : addedTokens.splitNormalized(normalized, raw.atStart())) {
                if (segment.isToken()) {
                    ids.add(segment.tokenId());
                } else if (preTokenizer == null) {
                    model.tokenize(segment.text(), ids);
                } else {
                    pieces.clear();
                    preTokenizer.preTokenize(new Piece(segment.text(), segment.atStart()), pieces);
                    for (Piece piece : pieces) model.tokenize(piece.text(), ids);
                }
            }
        }
        return postProcessor.process(ids.toArray(), addSpecialTokens);
    }

    @Override
    public String decode(int[] ids, boolean skipSpecialTokens) {
        List<String> tokens = new ArrayList<>(ids.length);
        for (int id : ids) {
            String token = addedTokens.decodeText(id);
            if (token == null) token = model.token(id);
            if (token == null || (skipSpecialTokens && addedTokens.isSpecialContent(token))) continue;
            tokens.add(token);
        }
        if (decoder == null) return String.join(" ", tokens);
        return String.join("", decoder.decode(tokens));
    }

    @Override
    public String tokenText(int id) {
        String token = addedTokens.content(id);
        if (token == null) token = model.token(id);
        if (token == null) throw new IllegalArgumentException("no token has id " + id);
        return token;
    }

    @Override
    public OptionalInt tokenId(String token) {
        int id = addedTokens.id(token);
        if (id < 0) id = model.id(token);
        return id < 0 ? OptionalInt.empty() : OptionalInt.of(id);
    }

    @Override
    public boolean isSpecial(int id) {
        return addedTokens.isSpecial(id);
    }

    @Override
    public int vocabularySize() {
        return model.size() + addedTokens.countNotIn(model);
    }
}
