package io.moe4j.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Counts what a benchmark call moved or computed, so JMH reports rates directly: {@code bytes} in bytes/s (÷10⁹ =
 * GB/s) and {@code flops} in FLOP/s, next to the calls/s of the benchmark itself.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class Traffic {
    public double bytes;
    public double flops;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
    }
}
