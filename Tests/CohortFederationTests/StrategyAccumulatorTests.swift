import CohortFederation
import Testing

@Suite("DeltaAccumulator")
struct StrategyAccumulatorTests {
    @Test("weights by records: [1, 2]×10 and [3, −2]×30 average to [2.5, −1]")
    func weightedByRecords() throws {
        var accumulator = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .byRecords)
        try accumulator.add([1, 2], records: 10)
        try accumulator.add([3, -2], records: 30)
        #expect(accumulator.count == 2)
        #expect(accumulator.totalWeight == 40)
        #expect(accumulator.totalRecords == 40)
        expectStrategyClose(accumulator.weightedMean(), [2.5, -1])
    }

    @Test("uniform weighting ignores record counts: the same deltas average to [2, 0]")
    func uniformWeighting() throws {
        var accumulator = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .uniform)
        try accumulator.add([1, 2], records: 10)
        try accumulator.add([3, -2], records: 30)
        #expect(accumulator.totalWeight == 2)
        expectStrategyClose(accumulator.weightedMean(), [2, 0])
    }

    @Test("streaming: with keepAll false the deltas are summed and dropped, never stored")
    func streamingKeepsNoDeltas() throws {
        var accumulator = DeltaAccumulator(parameterCount: 2, keepAll: false, weighting: .byRecords)
        for (delta, records) in strategyRound1 + strategyRound2 {
            try accumulator.add(delta, records: records)
        }
        #expect(accumulator.all == nil)
        #expect(accumulator.count == 4)
        let fedAvg = try FedAvg()
        #expect(fedAvg.makeAccumulator(parameterCount: 2).all == nil)
    }

    @Test("keepAll stores every delta in arrival order, for the robust strategies")
    func keepAllStoresDeltas() throws {
        var accumulator = try TrimmedMean(trimFraction: 0.2).makeAccumulator(parameterCount: 2)
        try accumulator.add([1, 2], records: 10)
        try accumulator.add([3, -2], records: 30)
        #expect(accumulator.all == [[1, 2], [3, -2]])
    }

    @Test("sums in Double: four deltas of 1 are not lost beside one of 2²⁴")
    func accumulatesInDouble() throws {
        // In Float, 2²⁴ + 1 rounds back to 2²⁴, so a Float sum would give 2²⁴/5 = 3355443.2.
        // Exactly: (16777216 + 4) / 5 = 3355444.
        var accumulator = DeltaAccumulator(parameterCount: 1, keepAll: false, weighting: .uniform)
        try accumulator.add([16_777_216], records: 1)
        for _ in 0..<4 { try accumulator.add([1], records: 1) }
        #expect(accumulator.weightedMean() == [3_355_444])
    }

    @Test("rejects a delta of the wrong length and stays unchanged")
    func rejectsShapeMismatch() throws {
        var accumulator = DeltaAccumulator(parameterCount: 2, keepAll: true, weighting: .byRecords)
        try accumulator.add([1, 2], records: 10)
        let error = #expect(throws: StrategyError.self) { try accumulator.add([1, 2, 3], records: 5) }
        #expect(error?.code == .shapeMismatch)
        #expect(error?.message == "update 2 has 3 parameters, expected 2")
        #expect(accumulator.count == 1)
        #expect(accumulator.totalWeight == 10)
        #expect(accumulator.all?.count == 1)
        expectStrategyClose(accumulator.weightedMean(), [1, 2])
    }

    @Test("rejects NaN and ±∞, naming the parameter, and stays unchanged", arguments: [Float.nan, .infinity, -.infinity])
    func rejectsNonFinite(_ bad: Float) throws {
        var accumulator = DeltaAccumulator(parameterCount: 3, keepAll: false, weighting: .byRecords)
        try accumulator.add([1, 1, 1], records: 1)
        let error = #expect(throws: StrategyError.self) { try accumulator.add([5, bad, 5], records: 100) }
        #expect(error?.code == .nonFiniteValue)
        #expect(error?.message.contains("at parameter 1") == true)
        #expect(accumulator.count == 1)
        expectStrategyClose(accumulator.weightedMean(), [1, 1, 1])
    }

    @Test("rejects negative counts, and zero counts when weighting by records")
    func rejectsBadRecordCounts() throws {
        var byRecords = DeltaAccumulator(parameterCount: 1, keepAll: false, weighting: .byRecords)
        #expect(throws: StrategyError.self) { try byRecords.add([1], records: 0) }
        #expect(throws: StrategyError.self) { try byRecords.add([1], records: -3) }
        #expect(byRecords.count == 0)
        var uniform = DeltaAccumulator(parameterCount: 1, keepAll: false, weighting: .uniform)
        try uniform.add([1], records: 0)
        let error = #expect(throws: StrategyError.self) { try uniform.add([1], records: -1) }
        #expect(error?.code == .invalidRecordCount)
        #expect(uniform.count == 1)
    }

    @Test("an empty accumulator's mean is zero")
    func emptyMean() {
        let accumulator = DeltaAccumulator(parameterCount: 3, keepAll: false, weighting: .byRecords)
        #expect(accumulator.weightedMean() == [0, 0, 0])
        #expect(accumulator.count == 0)
    }
}
