import CohortData
import Testing
@testable import CohortRPC

@Suite("Aggregates on the wire")
struct WireAggregatesTests {
    @Test("a noised release's negative counts cross the wire in the signed twins; exact ones use the unsigned fields")
    func negativeCountsRoundTrip() throws {
        let noised = FeatureAggregates(rowCount: -4, features: [
            .numeric(NumericAggregate(name: "age", count: -7, missingCount: 3, sum: -12.5, sumOfSquares: -40)),
            .numeric(NumericAggregate(name: "dose", count: 9, missingCount: -2, sum: 1, sumOfSquares: 2)),
            .categorical(CategoricalAggregate(name: "blood", levels: ["A", "B"], levelCounts: [5, -1], missingCount: -8)),
        ])
        let wire = Cohort_V1_AggregatesResult(noised, runID: "r", taskID: "t")
        #expect(wire.rows == 0 && wire.signedRows == -4)
        #expect(wire.features[2].categorical.levelCounts.isEmpty && wire.features[2].categorical.signedLevelCounts == [5, -1])
        let decoded = try wire.decoded()
        #expect(decoded == noised)

        let exact = FeatureAggregates(rowCount: 4, features: [
            .categorical(CategoricalAggregate(name: "blood", levels: ["A", "B"], levelCounts: [3, 1], missingCount: 0)),
        ])
        let plain = Cohort_V1_AggregatesResult(exact, runID: "r", taskID: "t")
        #expect(plain.rows == 4 && plain.signedRows == 0 && plain.features[0].categorical.levelCounts == [3, 1])
        #expect(plain.features[0].categorical.signedLevelCounts.isEmpty)
        #expect(try plain.decoded() == exact)
    }
}
