package io.moe4j.models.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Encoding 100 KB of varied text takes well under a second for every tokenizer family, from a cold start. */
class TokenizerSpeedTest {

    @Test
    void encodes100KilobytesQuickly() {
        String corpus = Fixtures.golden("llama2").cases().getLast().text(); // the whole training text
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 100_000; i++) text.append(corpus).append(i).append('\n');
        String input = text.toString();
        StringBuilder report = new StringBuilder();
        for (String name : Fixtures.NAMES) {
            Tokenizer tokenizer = Fixtures.load(name);
            long start = System.nanoTime();
            int[] ids = tokenizer.encode(input);
            long encodeMillis = (System.nanoTime() - start) / 1_000_000;
            start = System.nanoTime();
            String decoded = tokenizer.decode(ids);
            long decodeMillis = (System.nanoTime() - start) / 1_000_000;
            report.append(String.format("%-18s %6d ids  encode %4d ms  decode %4d ms%n", name, ids.length, encodeMillis, decodeMillis));
            assertTrue(encodeMillis < 1000, name + ": encoding 100 KB took " + encodeMillis + " ms");
            String corpusDecoded = Fixtures.golden(name).cases().getLast().decodedSkip();
            if (corpusDecoded.equals(corpus)) assertEquals(input, decoded, name + " round trip"); // as tokenizers does
        }
        System.out.print(report);
    }

    @Test
    void streamsLongGenerationsInLinearTime() {
        Tokenizer tokenizer = Fixtures.load("llama2");
        String corpus = Fixtures.golden("llama2").cases().getLast().text();
        int[] ids = tokenizer.encode(corpus.repeat(5));
        long start = System.nanoTime();
        TokenStreamDecoder stream = new TokenStreamDecoder(tokenizer);
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(stream.step(id));
        out.append(stream.finish());
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(tokenizer.decode(ids), out.toString());
        assertTrue(millis < 2000, ids.length + " ids streamed in " + millis + " ms");
    }
}
