import Foundation

/// The Dirichlet distribution Dir(α₁, …, α_K) over probability vectors of length K.
///
/// A draw is a vector of independent gammas normalised to sum 1: with gᵢ ~ Gamma(αᵢ, 1),
/// pᵢ = gᵢ / Σⱼ gⱼ (Devroye, "Non-Uniform Random Variate Generation", 1986, chapter XI). The
/// gammas come from `GammaDistribution` (Marsaglia and Tsang 2000) as logarithms and are
/// normalised as pᵢ = exp(ln gᵢ − m) / Σⱼ exp(ln gⱼ − m) with m = maxⱼ ln gⱼ, so that a small
/// α, whose gammas underflow, still gives a vector summing to 1 (mostly one large share).
public struct DirichletDistribution: Sendable, Hashable {
    /// The concentration parameters αᵢ > 0.
    public let concentration: [Double]

    /// Dir(`concentration`); at least one parameter, each finite and greater than 0.
    public init(concentration: [Double]) {
        precondition(!concentration.isEmpty, "a Dirichlet distribution needs at least one parameter")
        for alpha in concentration {
            precondition(alpha > 0 && alpha.isFinite, "Dirichlet parameters must be finite and > 0, got \(alpha)")
        }
        self.concentration = concentration
    }

    /// The symmetric Dir(α·1) over `count` components.
    public init(symmetric alpha: Double, count: Int) {
        precondition(count >= 1, "a Dirichlet distribution needs at least one component, got \(count)")
        self.init(concentration: [Double](repeating: alpha, count: count))
    }

    /// One probability vector: every share at least 0, summing to 1.
    public func sample(using generator: inout some RandomNumberGenerator) -> [Double] {
        let logs = concentration.map { GammaDistribution(shape: $0).logSample(using: &generator) }
        let largest = logs.max() ?? 0
        let weights = logs.map { Foundation.exp($0 - largest) }
        let total = weights.reduce(0, +)
        return weights.map { $0 / total }
    }
}
