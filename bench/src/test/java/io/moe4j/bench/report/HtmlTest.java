package io.moe4j.bench.report;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class HtmlTest {
    @Test
    void escapesEverythingThatCouldOpenATagOrCloseAnAttribute() {
        assertEquals("&lt;img src=&quot;x&quot; onerror=&#39;a()&#39;&gt; &amp;amp;",
                Html.escape("<img src=\"x\" onerror='a()'> &amp;"));
        assertEquals("plain · text", Html.escape("plain · text"));
        assertEquals("", Html.escape(null));
    }
}
