package io.moe4j.engine.backend.cpu;

import io.moe4j.bindings.dnnl.dnnl_h;

/** Names of oneDNN's {@code dnnl_cpu_isa_t} values, as its documentation spells them. */
final class CpuIsa {
    private CpuIsa() {}

    static String name(int isa) {
        if (isa == dnnl_h.dnnl_cpu_isa_sse41()) return "sse41";
        if (isa == dnnl_h.dnnl_cpu_isa_avx()) return "avx";
        if (isa == dnnl_h.dnnl_cpu_isa_avx2()) return "avx2";
        if (isa == dnnl_h.dnnl_cpu_isa_avx2_vnni()) return "avx2_vnni";
        if (isa == dnnl_h.dnnl_cpu_isa_avx2_vnni_2()) return "avx2_vnni_2";
        if (isa == dnnl_h.dnnl_cpu_isa_avx512_core()) return "avx512_core";
        if (isa == dnnl_h.dnnl_cpu_isa_avx512_core_vnni()) return "avx512_core_vnni";
        if (isa == dnnl_h.dnnl_cpu_isa_avx512_core_bf16()) return "avx512_core_bf16";
        if (isa == dnnl_h.dnnl_cpu_isa_avx10_1_512()) return "avx10_1_512";
        if (isa == dnnl_h.dnnl_cpu_isa_avx10_1_512_amx()) return "avx10_1_512_amx";
        if (isa == dnnl_h.dnnl_cpu_isa_avx10_1_512_amx_fp16()) return "avx10_1_512_amx_fp16";
        if (isa == dnnl_h.dnnl_cpu_isa_avx10_2()) return "avx10_2";
        if (isa == dnnl_h.dnnl_cpu_isa_avx10_2_amx_2()) return "avx10_2_amx_2";
        if (isa == dnnl_h.dnnl_cpu_isa_default()) return "default";
        return "isa 0x" + Integer.toHexString(isa);
    }
}
