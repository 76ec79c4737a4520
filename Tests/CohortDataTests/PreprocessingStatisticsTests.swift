import CohortData
import Foundation
import Testing

@Suite("Preprocessing statistics")
struct PreprocessingStatisticsTests {
    static let schema = Schema(
        label: LabelColumn(name: "y", classes: ["no", "yes"]),
        features: [
            FeatureColumn(name: "dose", kind: .numeric),
            FeatureColumn(name: "blood_type", kind: .categorical(levels: ["A", "B", "O"])),
            FeatureColumn(name: "constant", kind: .numeric),
        ])

    @Test("means and standard deviations match a two-pass computation on a real file")
    func standardisationMatchesNaive() throws {
        let url = PackagePaths.datasets.appendingPathComponent("fetal_health.csv")
        let csv = try CSVTable(contentsOf: url)
        let schema = try Schema.infer(from: csv, label: "fetal_health")
        let validated = try schema.validate(csv)
        let statistics = try PreprocessingStatistics.fit(validated)
        let matrix = try statistics.apply(to: validated)
        #expect(statistics.rowCount == 2126)
        for (column, name) in csv.columnNames.dropLast().enumerated() {
            let values = (0..<csv.rowCount).map { csv.number(row: $0, column: column) ?? .nan }
            let naive = naiveMeanAndStandardDeviation(values)
            guard case .numeric(let learned) = statistics.features[column] else {
                Issue.record("\(name) should be numeric")
                continue
            }
            #expect(learned.name == name)
            #expect(abs(learned.mean - naive.mean) <= 1e-9 * max(1, abs(naive.mean)), "\(name) mean")
            #expect(abs(learned.standardDeviation - naive.standardDeviation) <= 1e-7 * max(1, naive.standardDeviation), "\(name) std")
            // The encoded column has mean 0 and standard deviation 1.
            let encoded = (0..<matrix.rowCount).map { Double(matrix.features[$0, column]) }
            let check = naiveMeanAndStandardDeviation(encoded)
            #expect(abs(check.mean) < 1e-5, "\(name) encoded mean")
            #expect(abs(check.standardDeviation - 1) < 1e-4, "\(name) encoded std")
        }
    }

    @Test("a constant column has standard deviation 0, scale 1, and encodes as zeros")
    func constantColumn() throws {
        let validated = try Self.schema.validate(table("dose,blood_type,constant,y\n1,A,0.1,no\n3,B,0.1,yes\n"))
        let statistics = try PreprocessingStatistics.fit(validated)
        guard case .numeric(let constant) = statistics.features[2] else {
            Issue.record("constant should be numeric")
            return
        }
        #expect(constant.standardDeviation == 0)
        #expect(constant.scale == 1)
        let matrix = try statistics.apply(to: validated)
        #expect(abs(matrix.features[0, 4]) < 1e-12)
        #expect(abs(matrix.features[1, 4]) < 1e-12)
        #expect(matrix.features[0, 0] == -1 && matrix.features[1, 0] == 1, "dose 1 and 3: mean 2, std 1")
    }

    @Test("categorical features are one-hot encoded in level order, with level-named columns")
    func oneHot() throws {
        let validated = try Self.schema.validate(table("dose,blood_type,constant,y\n1,O,5,no\n2,A,5,yes\n3,B,5,no\n4,O,5,no\n"))
        let statistics = try PreprocessingStatistics.fit(validated)
        let matrix = try statistics.apply(to: validated)
        #expect(matrix.featureNames == ["dose", "blood_type=A", "blood_type=B", "blood_type=O", "constant"])
        #expect(statistics.encodedFeatureNames == matrix.featureNames)
        #expect(matrix.features.shape == [4, 5])
        let oneHot = (0..<4).map { row in (1...3).map { matrix.features[row, $0] } }
        #expect(oneHot == [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
        #expect(matrix.labels == [0, 1, 0, 0])
        #expect(matrix.classes == ["no", "yes"])
        #expect(matrix.oneHotLabels.scalars == [1, 0, 0, 1, 1, 0, 1, 0])
    }

    @Test("imputation values are learned on the training rows only and applied to others")
    func imputationLearnedOnTrainOnly() throws {
        let text = """
            dose,blood_type,constant,y
            1,A,0,no
            2,A,0,yes
            3,B,0,no
            100,B,0,yes
            ,,0,no
            1000,B,0,no
            """
        let all = try Self.schema.validate(table(text))
        let train = all.selecting(rows: [0, 1, 2])
        let test = all.selecting(rows: [3, 4, 5])
        let statistics = try PreprocessingStatistics.fit(train)
        guard case .numeric(let dose) = statistics.features[0],
              case .categorical(let blood) = statistics.features[1] else {
            Issue.record("unexpected kinds")
            return
        }
        #expect(dose.mean == 2, "training rows only: (1 + 2 + 3) / 3")
        #expect(dose.imputedValue == 2)
        #expect(blood.imputedLevel == "A", "A is most frequent in training; B is most frequent overall")
        let encoded = try statistics.apply(to: test)
        // Row 1 of the test part is the missing one: dose imputed to the training mean, so z = 0.
        #expect(encoded.features[1, 0] == 0)
        #expect((1...3).map { encoded.features[1, $0] } == [1, 0, 0])
        #expect(abs(Double(encoded.features[0, 0]) - (100 - 2) / (2.0 / 3).squareRoot()) < 1e-3)
        #expect(encoded.lines == [5, 6, 7])
    }

    @Test("under the reject policy nothing is imputed, and a missing cell cannot be encoded")
    func rejectPolicyStatistics() throws {
        var reject = Self.schema
        reject.features[0].missing = .reject
        let training = try reject.validate(table("dose,blood_type,constant,y\n1,A,0,no\n2,B,0,yes\n"))
        let statistics = try PreprocessingStatistics.fit(training)
        guard case .numeric(let dose) = statistics.features[0] else {
            Issue.record("dose should be numeric")
            return
        }
        #expect(dose.imputedValue == nil)
        // Data validated under a lenient schema still cannot use these statistics' missing dose.
        let lenient = try Self.schema.validate(table("dose,blood_type,constant,y\n5,A,0,no\n,A,0,no\n", file: "site.csv"))
        let error = dataError { _ = try statistics.apply(to: lenient) }
        #expect(error?.code == .missingValue)
        #expect(error?.message.hasPrefix("site.csv:3 (column \"dose\"): ") == true, "\(error?.message ?? "")")
    }

    @Test("a feature without any value in the training rows cannot be imputed")
    func noValues() throws {
        let validated = try Self.schema.validate(table("dose,blood_type,constant,y\n,A,0,no\n,B,0,yes\n"))
        let error = dataError { _ = try PreprocessingStatistics.fit(validated) }
        #expect(error?.code == .noValues)
        #expect(error?.columnName == "dose")
    }

    @Test("statistics round-trip through JSON and refuse a table of another schema")
    func codableAndMismatch() throws {
        let validated = try Self.schema.validate(table("dose,blood_type,constant,y\n1,A,0,no\n2,B,0,yes\n"))
        let statistics = try PreprocessingStatistics.fit(validated)
        let data = try JSONEncoder().encode(statistics)
        #expect(try JSONDecoder().decode(PreprocessingStatistics.self, from: data) == statistics)
        #expect(String(decoding: data, as: UTF8.self).contains(#""kind":"categorical""#))

        var other = Self.schema
        other.features[1].kind = .categorical(levels: ["A", "B"])
        let mismatched = try other.validate(table("dose,blood_type,constant,y\n1,A,0,no\n"))
        let error = dataError { _ = try statistics.apply(to: mismatched) }
        #expect(error?.code == .statisticsMismatch)
    }
}
