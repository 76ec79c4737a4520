import CohortData
import CohortTensor
import Foundation
import Testing

@Suite("Noised preprocessing release")
struct FeatureAggregatesNoiseTests {
    /// Two numeric features with ranges (one with missing cells), one categorical.
    static let schema = Schema(
        label: LabelColumn(name: "y", classes: ["no", "yes"]),
        features: [
            FeatureColumn(name: "age", kind: .numeric, range: 0...100),
            FeatureColumn(name: "dose", kind: .numeric, range: -2...6),
            FeatureColumn(name: "blood_type", kind: .categorical(levels: ["A", "B", "O"])),
        ])

    static let csv = """
        age,dose,blood_type,y
        30,1.5,A,no
        100,-2,O,yes
        45,,B,no
        0,6,,yes
        250,-9,A,no
        62,2.25,O,yes
        """

    static func table(_ text: String = csv) throws -> ValidatedTable {
        try schema.validate(try CSVTable(parsing: text, fileName: "t.csv"))
    }

    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }

    @Test("Δ₂ = √(1 + 5/4·numeric + categorical) bounds every record's contribution and is attained")
    func sensitivityBoundsNeighbours() throws {
        let table = try Self.table()
        let sensitivity = FeatureAggregates.l2Sensitivity(of: Self.schema)
        #expect(abs(sensitivity - (1 + 1.25 * 2 + 1).squareRoot()) < 1e-12)
        let full = try FeatureAggregates.releaseVector(of: table)
        var largest = 0.0
        for removed in 0..<table.rowCount {
            let neighbour = table.selecting(rows: (0..<table.rowCount).filter { $0 != removed })
            let distance = Self.distance(full, try FeatureAggregates.releaseVector(of: neighbour))
            #expect(distance <= sensitivity + 1e-12, "row \(removed)")
            largest = max(largest, distance)
        }
        // Row 1 (100, −2, O) sits at both ranges' ends with a level: its contribution is Δ₂.
        #expect(abs(largest - sensitivity) < 1e-12)
    }

    @Test("without noise the release maps back to the exact aggregates of the clamped values")
    func releaseMapsBackExactly() throws {
        let clamped = try Self.table("""
            age,dose,blood_type,y
            30,1.5,A,no
            100,-2,O,yes
            45,,B,no
            0,6,,yes
            100,-2,A,no
            62,2.25,O,yes
            """)
        let back = FeatureAggregates(releaseVector: try FeatureAggregates.releaseVector(of: try Self.table()), schema: Self.schema)
        let exact = FeatureAggregates(clamped)
        #expect(back.rowCount == exact.rowCount)
        for (mine, theirs) in zip(back.features, exact.features) {
            switch (mine, theirs) {
            case (.numeric(let a), .numeric(let b)):
                #expect(a.count == b.count && a.missingCount == b.missingCount, "\(a.name)")
                #expect(abs(a.sum - b.sum) < 1e-9 && abs(a.sumOfSquares - b.sumOfSquares) < 1e-7, "\(a.name)")
            case (.categorical(let a), .categorical(let b)):
                #expect(a == b)
            default:
                Issue.record("kinds differ")
            }
        }
        // The out-of-range 250 and −9 count as 100 and −2.
        guard case .numeric(let age) = back.features[0] else { Issue.record("age"); return }
        #expect(abs(age.sum - (30 + 100 + 45 + 0 + 100 + 62)) < 1e-9)
    }

    @Test("every coordinate gets noise of std σ·Δ₂, independent and centred (fixed seed)")
    func noiseHasTheMechanismsStandardDeviation() throws {
        let table = try Self.table()
        let exact = try FeatureAggregates.releaseVector(of: table)
        let sigma = 1.7
        let expected = sigma * FeatureAggregates.l2Sensitivity(of: Self.schema)
        let noise = GaussianNoise.seeded(42)
        var sum = 0.0, squares = 0.0, count = 0.0
        var perCoordinate = [Double](repeating: 0, count: exact.count)
        let releases = 3000
        for _ in 0..<releases {
            let noised = try FeatureAggregates.noisedReleaseVector(of: table, noiseMultiplier: sigma, noise: noise)
            for (index, (value, truth)) in zip(noised, exact).enumerated() {
                let z = (value - truth) / expected
                sum += z
                squares += z * z
                count += 1
                perCoordinate[index] += z * z
            }
        }
        // 33,000 standard normals: the sample variance is within 3% of 1 (its standard error
        // is √(2/n) ≈ 0.8%), and so is each coordinate's within 15% (s.e. 2.6%).
        let mean = sum / count
        #expect(abs(mean) < 0.02)
        #expect(abs(squares / count - mean * mean - 1) < 0.03)
        for (index, total) in perCoordinate.enumerated() {
            #expect(abs(total / Double(releases) - 1) < 0.15, "coordinate \(index)")
        }
    }

    @Test("a numeric feature without a range is named")
    func unboundedFeatureIsNamed() throws {
        var schema = Self.schema
        schema.features[1].range = nil
        let table = try schema.validate(try CSVTable(parsing: Self.csv, fileName: "t.csv"))
        #expect(FeatureAggregates.unboundedFeatures(of: schema) == ["dose"])
        let error = try #require(throws: DataError.self) { try FeatureAggregates.releaseVector(of: table) }
        #expect("\(error)".contains("dose") && "\(error)".contains("range"))
    }

    @Test("ranges read and write as [lo, hi], only on numeric features, with lo < hi")
    func rangeInJSON() throws {
        let data = try Self.schema.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.components(separatedBy: "\"range\"").count == 3, "two numeric features, two ranges")
        #expect(try Schema(jsonData: data, fileName: "s.json") == Self.schema)
        // A schema without ranges encodes as before: no "range" key.
        var plain = Self.schema
        for index in plain.features.indices { plain.features[index].range = nil }
        #expect(!String(decoding: try plain.jsonData(), as: UTF8.self).contains("range"))
        let bad = [
            (#"{"name": "b", "kind": "categorical", "levels": ["x"], "range": [0, 1]}"#, "only a numeric feature"),
            (#"{"name": "a", "kind": "numeric", "range": [5, 1]}"#, "lo < hi"),
            (#"{"name": "a", "kind": "numeric", "range": [1]}"#, "lo < hi"),
        ]
        for (feature, message) in bad {
            let json = #"{"label": {"name": "y", "classes": ["0", "1"]}, "features": ["# + feature + "]}"
            let error = try #require(throws: DataError.self) { try Schema(jsonData: Data(json.utf8), fileName: "s.json") }
            #expect("\(error)".contains(message), "\(error)")
        }
    }

    @Test("noised statistics: counts ≥ 1, means and variances clamped by the range, every level kept")
    func noisedStatisticsArePostProcessed() throws {
        let aggregates = FeatureAggregates(rowCount: -3, features: [
            // Negative count, a mean far outside the range, a negative variance.
            .numeric(NumericAggregate(name: "age", count: -2, missingCount: 5, sum: 900, sumOfSquares: -50)),
            // Variance far above what [−2, 6] allows.
            .numeric(NumericAggregate(name: "dose", count: 10, missingCount: 0, sum: 20, sumOfSquares: 10_000)),
            .categorical(CategoricalAggregate(name: "blood_type", levels: ["A", "B", "O"], levelCounts: [-4, -1, -1])),
        ])
        let statistics = try PreprocessingStatistics(schema: Self.schema, noisedAggregates: aggregates)
        #expect(statistics.rowCount == 0)
        guard case .numeric(let age) = statistics.features[0], case .numeric(let dose) = statistics.features[1],
              case .categorical(let blood) = statistics.features[2] else { Issue.record("kinds"); return }
        #expect(age.mean == 100 && age.imputedValue == 100)
        #expect(abs(age.standardDeviation - 0.01 * 100) < 1e-12)
        #expect(abs(dose.mean - 2) < 1e-12)
        #expect(abs(dose.standardDeviation - 4) < 1e-12, "(hi − lo)/2 is the largest possible")
        #expect(blood.levels == ["A", "B", "O"])
        #expect(blood.imputedLevel == "B", "the highest noised count, the earlier level on a tie")
        // Exact aggregates of in-range data give the ordinary statistics.
        let clean = try Self.table("""
            age,dose,blood_type,y
            30,1.5,A,no
            45,,B,no
            62,2.25,O,yes
            70,0,O,yes
            """)
        #expect(try PreprocessingStatistics(schema: Self.schema, noisedAggregates: FeatureAggregates(clean))
                == PreprocessingStatistics.fit(clean))
    }
}
