internal import CCohortSupport

/// The processor features that decide which OpenBLAS kernel can run, read with `cpuid`
/// (and `xgetbv`, so a feature counts only if the operating system saves its registers).
public struct CPUFeatures: Sendable, Equatable, Codable {
    public var vendor: String
    public var brand: String
    public var sse3: Bool
    public var ssse3: Bool
    public var sse41: Bool
    public var sse42: Bool
    public var avx: Bool
    public var avx2: Bool
    public var fma: Bool
    public var avx512f: Bool
    public var avx512dq: Bool
    public var avx512cd: Bool
    public var avx512bw: Bool
    public var avx512vl: Bool
    public var avx512bf16: Bool

    /// The features of the processor this runs on.
    public static let current: CPUFeatures = {
        var raw = cohort_cpu_features()
        cohort_read_cpu_features(&raw)
        let vendor = withUnsafeBytes(of: raw.vendor) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let brand = withUnsafeBytes(of: raw.brand) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let ymm = raw.osSavesYMM != 0, zmm = raw.osSavesZMM != 0
        return CPUFeatures(
            vendor: vendor,
            brand: brand.trimmingSpaces(),
            sse3: raw.sse3 != 0, ssse3: raw.ssse3 != 0, sse41: raw.sse41 != 0, sse42: raw.sse42 != 0,
            avx: raw.avx != 0 && ymm, avx2: raw.avx2 != 0 && ymm, fma: raw.fma != 0 && ymm,
            avx512f: raw.avx512f != 0 && zmm, avx512dq: raw.avx512dq != 0 && zmm,
            avx512cd: raw.avx512cd != 0 && zmm, avx512bw: raw.avx512bw != 0 && zmm,
            avx512vl: raw.avx512vl != 0 && zmm, avx512bf16: raw.avx512bf16 != 0 && zmm)
    }()

    /// A feature set with nothing beyond SSE2, for tests and for other architectures.
    public static let baseline = CPUFeatures(
        vendor: "", brand: "", sse3: false, ssse3: false, sse41: false, sse42: false,
        avx: false, avx2: false, fma: false, avx512f: false, avx512dq: false, avx512cd: false,
        avx512bw: false, avx512vl: false, avx512bf16: false)

    /// AVX-512 F, DQ, BW and VL: what OpenBLAS's `SkylakeX` kernel needs.
    public var hasAVX512Kernels: Bool { avx512f && avx512dq && avx512bw && avx512vl }
    /// AVX2 and FMA: what OpenBLAS's `Haswell` kernel needs.
    public var hasAVX2Kernels: Bool { avx2 && fma }

    /// The names of the features that are present, in a fixed order.
    public var presentNames: [String] {
        let all: [(String, Bool)] = [
            ("sse3", sse3), ("ssse3", ssse3), ("sse4.1", sse41), ("sse4.2", sse42), ("avx", avx),
            ("avx2", avx2), ("fma", fma), ("avx512f", avx512f), ("avx512dq", avx512dq),
            ("avx512cd", avx512cd), ("avx512bw", avx512bw), ("avx512vl", avx512vl),
            ("avx512bf16", avx512bf16),
        ]
        return all.filter(\.1).map(\.0)
    }
}

extension String {
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

/// The floating-point control of the calling thread.
public enum FloatingPointEnvironment {
    /// Turns flush-to-zero and denormals-are-zero on or off for the calling thread.
    ///
    /// Subnormal floats (below 2⁻¹²⁶ ≈ 1.2e-38) take a slow microcode path on x86, which
    /// can slow training several-fold when small gradients or weights decay towards zero;
    /// flushing them to zero costs no accuracy a model can use. Returns false where the
    /// processor has no such control.
    @discardableResult
    public static func setFlushToZero(_ enabled: Bool) -> Bool { cohort_set_flush_to_zero(enabled ? 1 : 0) != 0 }

    /// Whether flush-to-zero and denormals-are-zero are on for the calling thread.
    public static var flushToZero: Bool { cohort_flush_to_zero_enabled() != 0 }
}
