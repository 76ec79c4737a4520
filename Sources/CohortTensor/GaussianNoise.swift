internal import CCohortSupport
import Synchronization

/// A source of Gaussian noise for differential privacy.
///
/// Real runs use `.secure()`: random bits from AES-128 in counter mode (NIST SP 800-90A's
/// CTR_DRBG construction, without its reseeding machinery) keyed from the operating
/// system's CSPRNG (`getrandom`), with AES-NI; or straight from `getrandom` on processors
/// without AES-NI. Simulations and tests may use `.seeded(_:)`, which is reproducible and
/// therefore offers no privacy; `isSecure` lets a run record which one it used.
///
/// Normals come from the Ziggurat method (Marsaglia and Tsang, J. Stat. Software 2000),
/// a few nanoseconds each: DP-SGD draws one per parameter per step.
///
/// A class, not a struct: a copied generator would repeat its stream, and repeated noise
/// cancels. Every holder shares the one stream, guarded by a mutex.
public final class GaussianNoise: Sendable {
    private let state: Mutex<cohort_noise_state>

    /// Whether the bits come from a cryptographically secure generator.
    public let isSecure: Bool
    /// Whether the secure stream uses the processor's AES instructions.
    public let usesHardwareAES: Bool

    private init(state: cohort_noise_state) {
        self.isSecure = state.secure != 0
        self.usesHardwareAES = state.hardwareAES != 0
        self.state = Mutex(state)
    }

    /// A reproducible stream for simulations and tests (not private).
    public static func seeded(_ seed: UInt64) -> GaussianNoise {
        var state = cohort_noise_state()
        cohort_noise_init_seeded(&state, seed)
        return GaussianNoise(state: state)
    }

    /// A cryptographically secure stream keyed from the operating system.
    public static func secure() throws -> GaussianNoise {
        var state = cohort_noise_state()
        let error = cohort_noise_init_secure(&state)
        if error != 0 { throw NoiseError(errno: error) }
        return GaussianNoise(state: state)
    }

    /// Adds independent N(0, σ²) draws to every element of `tensor`.
    public func addNoise(to tensor: inout Tensor<Float>, standardDeviation sigma: Double) {
        precondition(sigma >= 0 && sigma.isFinite, "noise standard deviation must be finite and ≥ 0, got \(sigma)")
        tensor.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            state.withLock { cohort_noise_add_gaussian(&$0, base, buffer.count, sigma) }
        }
    }

    /// `count` independent standard normal draws.
    public func standardNormals(count: Int) -> [Double] {
        var values = [Double](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            state.withLock { cohort_noise_fill_gaussian(&$0, base, buffer.count) }
        }
        return values
    }

    /// `count` uniformly random 64-bit words from the underlying stream.
    public func randomWords(count: Int) -> [UInt64] {
        var values = [UInt64](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            state.withLock { cohort_noise_fill_bits(&$0, base, buffer.count) }
        }
        return values
    }
}

/// The operating system's random source failed.
public struct NoiseError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "cannot key the secure noise generator: getrandom failed with errno \(errno)" }
}
