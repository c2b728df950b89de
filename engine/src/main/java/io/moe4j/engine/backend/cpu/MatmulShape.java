package io.moe4j.engine.backend.cpu;

import io.moe4j.engine.backend.cpu.quant.Dequantize;
import io.moe4j.engine.tensor.DType;
import io.moe4j.engine.tensor.Tensor;

/** The operand checks of {@code y[M, N] = x[M, K] · wᵀ}, with messages that name the operand at fault. */
final class MatmulShape {
    private MatmulShape() {}

    /** Whether w {@code [N, K]} is the transpose of a contiguous {@code [K, N]} (strides (1, N)), e.g. DBRX's w2. */
    static boolean isKMajor(Tensor w) {
        return w.rank() == 2 && w.dim(0) > 1 && w.stride(0) == 1 && w.stride(1) == w.dim(0);
    }

    static void check(Tensor x, Tensor w, Tensor y) {
        if (x.rank() != 2) throw new IllegalArgumentException("matmul x must be [M, K], got " + x);
        if (w.rank() != 2) throw new IllegalArgumentException("matmul w must be [N, K], got " + w);
        if (y.rank() != 2) throw new IllegalArgumentException("matmul y must be [M, N], got " + y);
        x.requireDType(DType.F32, "matmul x");
        y.requireDType(DType.F32, "matmul y");
        if (!w.isContiguous() && !isKMajor(w)) {
            throw new IllegalArgumentException("matmul w must be [N, K] contiguous or a transposed view of a contiguous [K, N], got " + w);
        }
        long m = x.dim(0), k = x.dim(1), n = w.dim(0);
        DType wt = w.dtype();
        if (!(wt == DType.F32 || wt == DType.BF16 || wt == DType.F16 || Dequantize.supports(wt))) {
            throw new IllegalArgumentException("matmul w must be F32, BF16, F16, Q8_0, Q4_0, Q4_K, Q5_K or Q6_K, got " + w);
        }
        if (wt.isBlockQuantized() && w.dim(1) % wt.blockSize() != 0) {
            throw new IllegalArgumentException("matmul w " + w + ": K = " + w.dim(1) + " is not a multiple of the "
                    + wt + " block size " + wt.blockSize());
        }
        if (w.dim(1) != k) throw new IllegalArgumentException("matmul w " + w + " does not match x " + x + " (K)");
        if (y.dim(0) != m || y.dim(1) != n) {
            throw new IllegalArgumentException("matmul y " + y + " must be [" + m + ", " + n + "] for x " + x + " and w " + w);
        }
        if ((k > 1 && x.stride(1) != 1) || (n > 1 && y.stride(1) != 1)) {
            throw new IllegalArgumentException("matmul needs rows of x and y contiguous, got " + x + " and " + y);
        }
        if (m > 1 && (x.stride(0) < k || y.stride(0) < n)) {
            throw new IllegalArgumentException("matmul rows of x or y overlap: " + x + ", " + y);
        }
        if (m > Integer.MAX_VALUE || n > Integer.MAX_VALUE || k > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("matmul dimensions exceed 2^31: " + x + " · " + w);
        }
    }
}
