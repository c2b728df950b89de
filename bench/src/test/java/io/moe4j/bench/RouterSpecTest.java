package io.moe4j.bench;

import io.moe4j.engine.moe.MoeConfig;
import io.moe4j.engine.moe.Normalize;
import io.moe4j.engine.moe.RouterKind;
import io.moe4j.engine.moe.SecondExpert;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterSpecTest {
    static final LayerShape SHAPE = LayerShape.parse("64,32,8,2");

    @Test
    void defaultIsMixtralRouting() {
        MoeConfig c = RouterSpec.DEFAULT.config(SHAPE);
        assertEquals(RouterKind.SOFTMAX_TOPK, c.router());
        assertEquals(2, c.topK());
        assertEquals(Normalize.L1, c.normalize());
        assertTrue(!c.hasCapacity());
    }

    @Test
    void settingsOfTheContract() {
        MoeConfig sw = RouterSpec.parse("switch,capacity_factor=1.25,second_expert=random").config(SHAPE);
        assertEquals(RouterKind.SWITCH, sw.router());
        assertEquals(1.25, sw.capacityFactor());
        assertEquals(SecondExpert.RANDOM, sw.secondExpert());
        assertEquals(Normalize.NONE, sw.normalize());
        MoeConfig h = RouterSpec.parse("hierarchical,groups=4,group_top_k=2,top_k=1").config(SHAPE);
        assertEquals(4, h.groups());
        assertEquals(2, h.groupTopK());
        assertEquals(1, h.topK());
        assertEquals(8, RouterSpec.parse("dense").config(SHAPE).topK());
        assertEquals(3, RouterSpec.parse("soft,slots=3").config(SHAPE).slots());
        assertEquals(Normalize.L2, RouterSpec.parse("softmax_topk,moe.normalize=l2").config(SHAPE).normalize());
        assertTrue(RouterSpec.parse("noisy_topk,noise=true").config(SHAPE).noise());
    }

    @Test
    void badSpecsNameWhatIsWrong() {
        assertTrue(message("topk").contains("topk"));
        assertEquals("--router: unknown setting 'colour' (known: top_k, normalize, capacity_factor, groups, group_top_k, slots, second_expert, noise, seed)",
                message("softmax_topk,colour=red"));
        assertEquals("--router: setting 'top_k' is not key=value", message("softmax_topk,top_k"));
        assertEquals("--router: capacity_factor = 'lots' is not a number", configMessage("switch,capacity_factor=lots"));
        assertEquals("--router: noise = 'yes' is not true or false", configMessage("noisy_topk,noise=yes"));
        assertTrue(configMessage("softmax_topk,top_k=9").contains("moe.top_k = 9 exceeds the 8 experts"));
        assertTrue(configMessage("hierarchical,groups=3").contains("not divisible by moe.groups = 3"));
        assertEquals("--router: normalize does not apply to the switch router", configMessage("switch,normalize=l1"));
    }

    private static String message(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> RouterSpec.parse(spec)).getMessage();
    }

    private static String configMessage(String spec) {
        return assertThrows(IllegalArgumentException.class, () -> RouterSpec.parse(spec).config(SHAPE)).getMessage();
    }
}
