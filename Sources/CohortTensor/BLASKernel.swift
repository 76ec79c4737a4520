/// Which OpenBLAS kernel a processor should run, and whether the one loaded falls short.
///
/// Debian's OpenBLAS 0.3.21 is built with `DYNAMIC_ARCH`: at load time it picks a kernel
/// from `cpuid`. On processors newer than the library (a 5th-generation Xeon, say) it does
/// not recognise the model and falls back to `Prescott`, an SSE3 kernel 4–6× slower at
/// GEMM than `SkylakeX` (AVX-512) or `Haswell` (AVX2 + FMA) on the same chip. The choice
/// can be forced only through `OPENBLAS_CORETYPE`, read when the library loads, before
/// `main`: so the fix is to re-execute the process once with the variable set.
public struct BLASKernelPolicy: Sendable, Equatable {
    /// How capable a kernel family is: what instruction set its GEMM uses.
    public enum Tier: Int, Sendable, Comparable, Codable {
        case sse = 0, avx = 1, avx2 = 2, avx512 = 3
        public static func < (lhs: Tier, rhs: Tier) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The tier of an OpenBLAS core name (as `openblas_get_corename()` prints it).
    public static func tier(ofCore name: String) -> Tier {
        switch name.lowercased() {
        case "skylakex", "cooperlake", "sapphirerapids":
            return .avx512
        case "haswell", "zen", "skylake":
            return .avx2
        case "sandybridge", "bulldozer", "piledriver", "steamroller", "excavator":
            return .avx
        default:
            return .sse
        }
    }

    /// The best kernel for these features, as a value for `OPENBLAS_CORETYPE`; nil when
    /// nothing beats the generic SSE kernels.
    public static func bestCore(for features: CPUFeatures) -> String? {
        if features.hasAVX512Kernels { return "SkylakeX" }
        if features.hasAVX2Kernels { return "Haswell" }
        if features.avx { return "Sandybridge" }
        return nil
    }

    /// The core to switch to when `loadedCore` falls short of what `features` allow, or nil
    /// when the loaded kernel is already of the best tier the processor supports.
    ///
    /// OpenBLAS's `Zen` kernel is its tuned choice on AMD processors even with AVX-512,
    /// so it is left alone there.
    public static func replacement(forLoadedCore loadedCore: String, features: CPUFeatures) -> String? {
        guard let best = bestCore(for: features) else { return nil }
        if loadedCore.lowercased() == "zen" && features.vendor == "AuthenticAMD" { return nil }
        return tier(ofCore: loadedCore) < tier(ofCore: best) ? best : nil
    }
}

/// How the OpenBLAS kernel of this process was chosen.
public enum KernelChoice: Sendable, Equatable, Codable {
    /// OpenBLAS's own detection, which Cohort found good enough.
    case autodetected
    /// The user set `OPENBLAS_CORETYPE`; Cohort keeps it.
    case userSet(String)
    /// OpenBLAS fell back to `from`; Cohort re-executed with `OPENBLAS_CORETYPE` set.
    case fixedByCohort(from: String)
    /// OpenBLAS fell back, and the re-execution Cohort attempted failed.
    case fixFailed(from: String, reason: String)

    /// A one-line explanation for `cohort doctor`.
    public var summary: String {
        switch self {
        case .autodetected: return "auto-detected by OpenBLAS"
        case .userSet(let value): return "set by the user (OPENBLAS_CORETYPE=\(value)), kept"
        case .fixedByCohort(let from):
            return "OpenBLAS auto-detected \(from); Cohort re-executed with OPENBLAS_CORETYPE set"
        case .fixFailed(let from, let reason):
            return "OpenBLAS auto-detected \(from) and Cohort could not fix it: \(reason)"
        }
    }
}
