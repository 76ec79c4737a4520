internal import CCohortSupport
import Dispatch
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
/// about a nanosecond each: DP-SGD draws one per parameter per step. On processors with
/// AVX-512 the fast path runs 16 lanes at a time and the AES-CTR keystream comes from
/// VAES, four blocks a register; the noise is the same as the portable code's.
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

    /// A reproducible stream for simulations and tests (not private). The noise is the
    /// same whether the AVX-512 or the portable code draws it; `portableOnly` forces the
    /// portable code (for the test that checks exactly that).
    public static func seeded(_ seed: UInt64, portableOnly: Bool = false) -> GaussianNoise {
        var state = cohort_noise_state()
        cohort_noise_init_seeded(&state, seed)
        state.forceScalar = portableOnly ? 1 : 0
        return GaussianNoise(state: state)
    }

    /// An AES-128-CTR stream with a given key and first counter block, for known-answer and
    /// consistency tests of the secure stream's bits: a known key is no secret. `wide`
    /// selects the VAES refill, otherwise the 128-bit AES-NI one; nil when the processor
    /// lacks those instructions.
    static func keyed(key: [UInt8], counter: (low: UInt64, high: UInt64), wide: Bool) -> GaussianNoise? {
        precondition(key.count == 16, "AES-128 takes a 16-byte key")
        var state = cohort_noise_state()
        let status = key.withUnsafeBufferPointer { keyBytes in
            withUnsafePointer(to: (counter.low, counter.high)) { pair in
                pair.withMemoryRebound(to: UInt64.self, capacity: 2) { words in
                    cohort_noise_init_keyed(&state, keyBytes.baseAddress, words, wide ? 1 : 0)
                }
            }
        }
        return status == 0 ? GaussianNoise(state: state) : nil
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

    /// Adds N(0, σ²) to `count` floats at `pointer` (for `ParallelGaussianNoise`'s parts).
    func addNoise(toRawElements pointer: UnsafeMutablePointer<Float>, count: Int, standardDeviation sigma: Double) {
        state.withLock { cohort_noise_add_gaussian(&$0, pointer, count, sigma) }
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

/// Several independent noise streams that fill one tensor in parallel: the tensor is cut
/// into as many contiguous parts as there are streams, and each stream fills its part on
/// its own thread. The split depends only on the number of streams, never on the number
/// of cores, so seeded noise is the same on any machine.
public struct ParallelGaussianNoise: Sendable {
    /// The streams, one per part.
    public let streams: [GaussianNoise]

    /// Whether every stream is cryptographically secure.
    public var isSecure: Bool { streams.allSatisfy(\.isSecure) }

    /// `count` streams derived from `base`: `base` itself and, when it is secure, further
    /// streams keyed afresh from the operating system; when it is seeded, further seeded
    /// streams whose seeds are drawn from `base` (so the whole is reproducible).
    public init(_ base: GaussianNoise, count: Int = 2) throws {
        precondition(count >= 1, "need at least one noise stream")
        var streams = [base]
        for _ in 1..<count {
            if base.isSecure {
                streams.append(try GaussianNoise.secure())
            } else {
                streams.append(GaussianNoise.seeded(base.randomWords(count: 1)[0]))
            }
        }
        self.streams = streams
    }

    /// Adds independent N(0, σ²) draws to every element of `tensor`, the parts in parallel.
    public func addNoise(to tensor: inout Tensor<Float>, standardDeviation sigma: Double) {
        precondition(sigma >= 0 && sigma.isFinite, "noise standard deviation must be finite and ≥ 0, got \(sigma)")
        let parts = parts(ofCount: tensor.count)
        guard parts.count > 1 else {
            streams[0].addNoise(to: &tensor, standardDeviation: sigma)
            return
        }
        tensor.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let address = UInt(bitPattern: base)
            DispatchQueue.concurrentPerform(iterations: parts.count) { part in
                guard let pointer = UnsafeMutablePointer<Float>(bitPattern: address) else { return }
                let range = parts[part]
                streams[part].addNoise(toRawElements: pointer + range.lowerBound, count: range.count, standardDeviation: sigma)
            }
        }
    }

    /// The elements of a `total`-element tensor that each stream fills: one range for
    /// stream 0 when the tensor is small, else one contiguous range per stream.
    func parts(ofCount total: Int) -> [Range<Int>] {
        let parts = streams.count
        // Below this size a second thread costs more than it saves.
        guard parts > 1, total >= 16_384 else { return [0..<total] }
        // Parts are multiples of 16 elements (whole vector blocks); each part is one call
        // on its own stream, so the split alone decides the noise.
        let chunk = ((total + parts - 1) / parts + 15) / 16 * 16
        return (0..<parts).map { part in Swift.min(total, part * chunk)..<Swift.min(total, (part + 1) * chunk) }
    }
}
