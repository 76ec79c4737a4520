import CohortTensor
import Foundation

/// How minibatches are drawn from the training rows.
public enum BatchSampling: Sendable, Equatable {
    /// Shuffle once per epoch and cut into consecutive batches of the batch size.
    case shuffled
    /// Poisson sampling: every row joins each batch independently with probability q.
    /// What the privacy accountant for the subsampled Gaussian mechanism assumes
    /// (Mironov, Talwar, Zhang 2019, §2; Abadi et al. 2016 use it for their moments
    /// accountant).
    case poisson(rate: Double)
}

/// Draws Poisson-sampled batches in O(batch size) time per batch.
///
/// Instead of one Bernoulli(q) draw per row, the gap to the next selected row is drawn
/// from the geometric distribution: gap = ⌊ln U / ln(1 − q)⌋ with U uniform on (0, 1],
/// which selects each row independently with probability q (Devroye, "Non-Uniform Random
/// Variate Generation", 1986, §X.2 on skipping).
public struct PoissonSampler: Sendable {
    public let rowCount: Int
    public let rate: Double
    private let logComplement: Double

    public init(rowCount: Int, rate: Double) {
        precondition(rate > 0 && rate <= 1, "Poisson sampling rate must be in (0, 1], got \(rate)")
        self.rowCount = rowCount
        self.rate = rate
        self.logComplement = Foundation.log1p(-rate)
    }

    /// Fills `batch` with the selected rows (ascending), reusing its capacity.
    public func sample<G: RandomNumberGenerator>(into batch: inout [Int], using generator: inout G) {
        batch.removeAll(keepingCapacity: true)
        if rate >= 1 {
            batch.append(contentsOf: 0..<rowCount)
            return
        }
        var index = -1
        while true {
            let u = 1 - Double.random(in: 0..<1, using: &generator)  // (0, 1]
            let gap = Foundation.log(u) / logComplement
            guard gap < Double(rowCount) else { return }
            index += 1 + Int(gap)
            guard index < rowCount else { return }
            batch.append(index)
        }
    }
}

/// A `RandomNumberGenerator` over a `GaussianNoise` stream's words, so that batch
/// sampling in a private run is as unpredictable as its noise. Fetches words in blocks.
public struct NoiseStreamGenerator: RandomNumberGenerator {
    private let noise: GaussianNoise
    private var words: [UInt64] = []
    private var position = 0

    public init(_ noise: GaussianNoise) { self.noise = noise }

    public mutating func next() -> UInt64 {
        if position >= words.count {
            words = noise.randomWords(count: 256)
            position = 0
        }
        defer { position += 1 }
        return words[position]
    }
}
