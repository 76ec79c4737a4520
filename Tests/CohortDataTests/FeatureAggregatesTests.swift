import CohortData
import Foundation
import Testing

@Suite("Mergeable aggregates")
struct FeatureAggregatesTests {
    static func load(_ name: String, label: String) throws -> ValidatedTable {
        let csv = try CSVTable(contentsOf: PackagePaths.datasets.appendingPathComponent(name))
        return try Schema.infer(from: csv, label: label).validate(csv)
    }

    @Test("fit is exactly the statistics of the table's aggregates")
    func fitIsBuiltOnAggregates() throws {
        let table = try Self.load("bone_marrow_children.csv", label: "survival_status")
        let aggregates = FeatureAggregates(table)
        #expect(try PreprocessingStatistics.fit(table) == PreprocessingStatistics(schema: table.schema, aggregates: aggregates))
        #expect(aggregates.rowCount == 187)
        let missing = aggregates.features.reduce(0) { total, feature in
            guard case .numeric(let numeric) = feature else { return total }
            return total + numeric.missingCount
        }
        #expect(missing == 84, "PROVENANCE.md: 84 empty cells")
    }

    @Test("aggregates of three sites merged equal those of the union, exactly for integer data")
    func mergeEqualsUnionExactly() throws {
        let table = try Self.load("digits.csv", label: "digit")
        let sites = [Array(0..<600), Array(600..<1200), Array(1200..<table.rowCount)]
        var merged = FeatureAggregates(schema: table.schema)
        for rows in sites { try merged.merge(FeatureAggregates(table.selecting(rows: rows))) }
        #expect(merged == FeatureAggregates(table))
        #expect(try PreprocessingStatistics(schema: table.schema, aggregates: merged) == PreprocessingStatistics.fit(table))
    }

    @Test("merged statistics equal fitted ones up to rounding for real-valued data")
    func mergeEqualsUnionForReals() throws {
        let table = try Self.load("fetal_health.csv", label: "fetal_health")
        let odd = table.selecting(rows: Array(stride(from: 1, to: table.rowCount, by: 2)))
        let even = table.selecting(rows: Array(stride(from: 0, to: table.rowCount, by: 2)))
        let merged = try FeatureAggregates(odd).merging(FeatureAggregates(even))
        let pooled = try PreprocessingStatistics(schema: table.schema, aggregates: merged)
        let fitted = try PreprocessingStatistics.fit(table)
        #expect(merged.rowCount == table.rowCount)
        for (a, b) in zip(pooled.features, fitted.features) {
            guard case .numeric(let x) = a, case .numeric(let y) = b else {
                Issue.record("expected numeric features")
                continue
            }
            #expect(abs(x.mean - y.mean) <= 1e-12 * max(1, abs(y.mean)))
            #expect(abs(x.standardDeviation - y.standardDeviation) <= 1e-9 * max(1, y.standardDeviation))
        }
    }

    @Test("categorical level counts merge and give the pooled most frequent level")
    func categoricalMerge() throws {
        let schema = Schema(
            label: LabelColumn(name: "y", classes: ["0", "1"]),
            features: [FeatureColumn(name: "site_type", kind: .categorical(levels: ["clinic", "hospital"]))])
        let a = try schema.validate(table("site_type,y\nclinic,0\nclinic,1\nhospital,0\n"))
        let b = try schema.validate(table("site_type,y\nhospital,0\nhospital,1\n,1\n"))
        let merged = try FeatureAggregates(a).merging(FeatureAggregates(b))
        guard case .categorical(let counts) = merged.features[0] else {
            Issue.record("expected a categorical aggregate")
            return
        }
        #expect(counts.levelCounts == [2, 3])
        #expect(counts.missingCount == 1)
        #expect(counts.mostFrequentLevel == "hospital")
        #expect(FeatureAggregates(a).features == [.categorical(CategoricalAggregate(name: "site_type", levels: ["clinic", "hospital"], levelCounts: [2, 1]))])
    }

    @Test("aggregates of different features do not merge, and the failed merge changes nothing")
    func mismatchedMerge() throws {
        let first = Schema(label: LabelColumn(name: "y", classes: ["0"]), features: [FeatureColumn(name: "a", kind: .numeric)])
        let second = Schema(label: LabelColumn(name: "y", classes: ["0"]), features: [FeatureColumn(name: "b", kind: .numeric)])
        var mine = try FeatureAggregates(first.validate(table("a,y\n1,0\n")))
        let before = mine
        let theirs = try FeatureAggregates(second.validate(table("b,y\n2,0\n")))
        let error = dataError { try mine.merge(theirs) }
        #expect(error?.code == .statisticsMismatch)
        #expect(mine == before)
    }

    @Test("aggregates round-trip through JSON with a kind on each feature")
    func codable() throws {
        let table = try Self.load("maternal_health_risk.csv", label: "risk_level")
        let aggregates = FeatureAggregates(table)
        let data = try JSONEncoder().encode(aggregates)
        #expect(try JSONDecoder().decode(FeatureAggregates.self, from: data) == aggregates)
        guard case .numeric(let age) = aggregates.features[0] else {
            Issue.record("age should be numeric")
            return
        }
        let ages = (0..<table.rowCount).compactMap { row -> Double? in
            guard case .numeric(let values) = table.columns[0] else { return nil }
            return values[row]
        }
        #expect(age.count == 1014)
        #expect(age.sum == ages.reduce(0, +))
        #expect(age.sumOfSquares == ages.reduce(0) { $0 + $1 * $1 })
    }
}
