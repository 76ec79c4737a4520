import CohortTensor
import Testing

@Suite("OpenBLAS kernel choice")
struct BLASKernelPolicyTests {
    static var avx512: CPUFeatures {
        var f = CPUFeatures.baseline
        f.vendor = "GenuineIntel"
        f.avx = true; f.avx2 = true; f.fma = true
        f.avx512f = true; f.avx512dq = true; f.avx512bw = true; f.avx512vl = true
        return f
    }
    static var avx2: CPUFeatures {
        var f = CPUFeatures.baseline
        f.avx = true; f.avx2 = true; f.fma = true
        return f
    }

    @Test("the Prescott fallback on an AVX-512 CPU is replaced by SkylakeX, on AVX2 by Haswell")
    func fallbackReplaced() {
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Prescott", features: Self.avx512) == "SkylakeX")
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Prescott", features: Self.avx2) == "Haswell")
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Haswell", features: Self.avx512) == "SkylakeX")
    }

    @Test("a kernel of the CPU's tier is kept")
    func goodKernelKept() {
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "SkylakeX", features: Self.avx512) == nil)
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Cooperlake", features: Self.avx512) == nil)
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Haswell", features: Self.avx2) == nil)
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Prescott", features: .baseline) == nil)
        var amd = Self.avx512
        amd.vendor = "AuthenticAMD"
        #expect(BLASKernelPolicy.replacement(forLoadedCore: "Zen", features: amd) == nil)
    }

    @Test("a user-set OPENBLAS_CORETYPE is kept even when slow; Cohort's own re-execution never loops")
    func decisions() {
        let user = BLASRuntime.decideKernel(
            environment: ["OPENBLAS_CORETYPE": "Prescott"], loadedCore: "Prescott", features: Self.avx512)
        #expect(user == .keep(.userSet("Prescott")))
        let fresh = BLASRuntime.decideKernel(environment: [:], loadedCore: "Prescott", features: Self.avx512)
        #expect(fresh == .reexecute(core: "SkylakeX", from: "Prescott"))
        let child = BLASRuntime.decideKernel(
            environment: ["OPENBLAS_CORETYPE": "SkylakeX", BLASRuntime.reexecMarkerVariable: "Prescott"],
            loadedCore: "Prescott", features: Self.avx512)
        #expect(child == .keep(.fixedByCohort(from: "Prescott")))
        let fine = BLASRuntime.decideKernel(environment: [:], loadedCore: "SkylakeX", features: Self.avx512)
        #expect(fine == .keep(.autodetected))
    }

    @Test("flush-to-zero turns subnormal results into zero on this thread")
    func flushToZero() {
        let tiny = Float.leastNormalMagnitude
        let previous = FloatingPointEnvironment.flushToZero
        defer { FloatingPointEnvironment.setFlushToZero(previous) }
        guard FloatingPointEnvironment.setFlushToZero(true) else { return }
        #expect(FloatingPointEnvironment.flushToZero)
        // The multiplication happens at run time (the operand is opaque to the optimiser).
        let half = Tensor<Float>([tiny]).scaled(by: 0.5).scalars[0]
        #expect(half == 0)
        FloatingPointEnvironment.setFlushToZero(false)
        let subnormal = Tensor<Float>([tiny]).map { $0 * 0.5 }.scalars[0]
        #expect(subnormal > 0 && subnormal.isSubnormal)
    }
}
