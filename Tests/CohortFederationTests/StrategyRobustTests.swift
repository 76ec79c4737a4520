import CohortFederation
import Testing

/// Coordinate-wise median and trimmed mean (Yin, Chen, Ramchandran, Bartlett, ICML 2018,
/// Definitions 1 and 2).
@Suite("CoordinateMedian, TrimmedMean")
struct StrategyRobustTests {
    /// Four honest sites and one adversary; per coordinate, sorted:
    /// coordinate 0: 1, 2, 3, 4, (adversary); coordinate 1: (adversary), −1, 0, 1, 2.
    static func sites(adversary: [Float]) -> [([Float], Int)] {
        [([1, -1], 10), ([2, 0], 10), ([3, 1], 10), ([4, 2], 10), (adversary, 1_000_000)]
    }

    @Test("median of an odd count: [1, 10], [2, −3], [3, 5] → [2, 5]")
    func medianOdd() throws {
        var strategy = try CoordinateMedian()
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, [([1, 10], 1), ([2, -3], 1), ([3, 5], 1)], on: &global)
        #expect(global == [2, 5])
        #expect(strategy.needsAllUpdates)
    }

    @Test("median of an even count is the mean of the middle two: + [10, 0] → [2.5, 2.5]")
    func medianEven() throws {
        // Coordinate 0 sorted: 1, 2, 3, 10 → (2 + 3)/2 = 2.5. Coordinate 1: −3, 0, 5, 10 → (0 + 5)/2 = 2.5.
        var strategy = try CoordinateMedian()
        var global: [Float] = [1, 1]
        try runStrategyRound(&strategy, [([1, 10], 1), ([2, -3], 1), ([3, 5], 1), ([10, 0], 1)], on: &global)
        #expect(global == [3.5, 3.5])
    }

    @Test("median with η = 0.5 moves half way: x = 0.5·[2, 5] = [1, 2.5]")
    func medianServerLearningRate() throws {
        var strategy = try CoordinateMedian(serverLearningRate: 0.5)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, [([1, 10], 1), ([2, -3], 1), ([3, 5], 1)], on: &global)
        #expect(global == [1, 2.5])
    }

    @Test("median ignores an adversary at 1e6 and its inflated record count: [3, 0]")
    func medianIgnoresOutlier() throws {
        // Coordinate 0: 1, 2, 3, 4, 1e6 → 3. Coordinate 1: −1e6, −1, 0, 1, 2 → 0.
        var strategy = try CoordinateMedian()
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, Self.sites(adversary: [1e6, -1e6]), on: &global)
        #expect(global == [3, 0])
    }

    @Test("trimmed mean (β = 0.2, k = ⌊0.2·5⌋ = 1) drops the 1e6 adversary: [3, 0]")
    func trimmedMeanDropsOutlier() throws {
        // Coordinate 0: drop 1 and 1e6, mean(2, 3, 4) = 3. Coordinate 1: drop −1e6 and 2, mean(−1, 0, 1) = 0.
        // A plain mean would give [(10 + 1e6)/5, (2 − 1e6)/5] ≈ [2e5, −2e5].
        var strategy = try TrimmedMean(trimFraction: 0.2)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, Self.sites(adversary: [1e6, -1e6]), on: &global)
        #expect(global == [3, 0])
        #expect(strategy.trimmedPerSide(updates: 5) == 1)
    }

    @Test("the adversary's value does not move the trimmed mean at all, however large", arguments: [Float(5), 1e3, 1e6, 3e38])
    func trimmedMeanInsensitiveToOutlierSize(_ size: Float) throws {
        // Whether the adversary sends [5, −2] or [3e38, −3e38], it is trimmed at both coordinates.
        var strategy = try TrimmedMean(trimFraction: 0.2)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, Self.sites(adversary: [size, -size]), on: &global)
        #expect(global == [3, 0])
    }

    @Test("trimmed mean with k = 2 of 7: mean of the middle three")
    func trimmedMeanTwoPerSide() throws {
        // β = 0.3, m = 7: k = ⌊2.1⌋ = 2. Sorted: −50, −9, 1, 2, 6, 40, 100 → mean(1, 2, 6) = 3.
        var strategy = try TrimmedMean(trimFraction: 0.3)
        var global: [Float] = [10]
        let values: [Float] = [100, 2, -9, 40, 1, -50, 6]
        try runStrategyRound(&strategy, values.map { ([$0], 1) }, on: &global)
        #expect(global == [13])
    }

    @Test("trimmed mean with β = 0 is the uniform mean")
    func trimmedMeanZeroIsMean() throws {
        var strategy = try TrimmedMean(trimFraction: 0)
        var global: [Float] = [0, 0]
        try runStrategyRound(&strategy, strategyRound1, on: &global)
        #expect(global == [2, 0])
    }

    @Test("too few updates to trim anything is an error, not a silent mean")
    func trimmedMeanTooFewUpdates() throws {
        // β = 0.1 over 5 updates: ⌊0.5⌋ = 0 trimmed; at least ⌈1/0.1⌉ = 10 updates are needed.
        var strategy = try TrimmedMean(trimFraction: 0.1)
        var global: [Float] = [0, 0]
        let updates = try strategyAccumulator(for: strategy, Self.sites(adversary: [1e6, -1e6]))
        let error = #expect(throws: StrategyError.self) { try strategy.apply(updates, to: &global) }
        #expect(error?.code == .tooFewUpdates)
        #expect(error?.message.contains("at least 10 updates") == true)
        #expect(global == [0, 0])
        #expect(strategy.rounds == 0)
    }

    @Test("robust strategies refuse a streaming accumulator that kept only the sum")
    func robustNeedsAllUpdates() throws {
        var updates = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .uniform)
        try updates.add([1, 2], records: 1)
        var global: [Float] = [0, 0]
        var median = try CoordinateMedian()
        let error = #expect(throws: StrategyError.self) { try median.apply(updates, to: &global) }
        #expect(error?.code == .updatesNotKept)
        var trimmed = try TrimmedMean(trimFraction: 0.2)
        #expect(throws: StrategyError.self) { try trimmed.apply(updates, to: &global) }
    }

    @Test("a trim fraction outside [0, 0.5) is rejected with the field's name")
    func invalidTrimFraction() {
        let error = #expect(throws: StrategyError.self) { try TrimmedMean(trimFraction: 0.6) }
        #expect(error?.message == "strategy.trim_fraction must be in [0, 0.5), got 0.6")
        #expect(throws: StrategyError.self) { try TrimmedMean(trimFraction: 0.5) }
        #expect(throws: StrategyError.self) { try TrimmedMean(trimFraction: -0.1) }
    }
}
