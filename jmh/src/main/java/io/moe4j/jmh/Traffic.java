package io.moe4j.jmh;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Counts what a benchmark call moved or computed, so JMH reports rates directly: {@code bytes} in bytes/s (÷10⁹ =
 * GB/s), {@code flops} in FLOP/s, {@code tokens} in tokens/s and {@code heapBytes} in Java heap bytes allocated per
 * second (0 when the hot path allocates nothing), next to the calls/s of the benchmark itself.
 */
@AuxCounters(AuxCounters.Type.OPERATIONS)
@State(Scope.Thread)
public class Traffic {
    public double bytes;
    public double flops;
    public double tokens;
    public double heapBytes;

    @Setup(Level.Iteration)
    public void reset() {
        bytes = 0;
        flops = 0;
        tokens = 0;
        heapBytes = 0;
    }
}
