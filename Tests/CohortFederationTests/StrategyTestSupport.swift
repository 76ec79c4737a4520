import CohortFederation
import Testing

/// Expects `actual` to equal `expected` element-wise within `tolerance` (absolute), with the
/// same length.
func expectStrategyClose(
    _ actual: [Float]?, _ expected: [Double], tolerance: Double = 1e-6,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    guard let actual else {
        Issue.record("expected \(expected), got nil", sourceLocation: sourceLocation)
        return
    }
    #expect(actual.count == expected.count, "length", sourceLocation: sourceLocation)
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        #expect(abs(Double(a) - e) <= tolerance, "[\(i)]: \(a) vs \(e)", sourceLocation: sourceLocation)
    }
}

/// An accumulator fitted to `strategy` holding the given (delta, records) updates.
func strategyAccumulator(
    for strategy: some FederatedStrategy, _ updates: [([Float], Int)]
) throws -> DeltaAccumulator {
    var accumulator = strategy.makeAccumulator(parameterCount: updates.first?.0.count ?? 0)
    for (delta, records) in updates {
        try accumulator.add(delta, records: records)
    }
    return accumulator
}

/// Runs one round of `strategy` over `updates` on `global`.
func runStrategyRound(
    _ strategy: inout some FederatedStrategy, _ updates: [([Float], Int)], on global: inout [Float]
) throws {
    try strategy.apply(strategyAccumulator(for: strategy, updates), to: &global)
}

/// The two-site example used throughout: Δ₁ = [1, 2] from 10 records, Δ₂ = [3, −2] from 30.
/// Weighted mean: (10·[1, 2] + 30·[3, −2]) / 40 = [100, −40] / 40 = [2.5, −1].
/// Uniform mean: ([1, 2] + [3, −2]) / 2 = [2, 0].
let strategyRound1: [([Float], Int)] = [([1, 2], 10), ([3, -2], 30)]

/// A second round: Δ₁ = [0.4, 0] from 10 records, Δ₂ = [0, 2] from 30.
/// Weighted mean: (10·[0.4, 0] + 30·[0, 2]) / 40 = [4, 60] / 40 = [0.1, 1.5].
let strategyRound2: [([Float], Int)] = [([0.4, 0], 10), ([0, 2], 30)]
