import CohortData
import Testing

@Suite("Stratified splits")
struct StratifiedSplitTests {
    /// 212 of class 1 and 357 of class 0, shuffled, like breast_cancer_wdbc.csv.
    static let labels: [Int] = {
        var labels = [Int](repeating: 1, count: 212) + [Int](repeating: 0, count: 357)
        var generator = SplitMix64(seed: 5)
        labels.shuffle(using: &generator)
        return labels
    }()

    @Test("every row lands in exactly one part, and each class is split in proportion",
          arguments: [SplitFractions.standard, SplitFractions(train: 0.6, validation: 0.2, test: 0.2),
                      SplitFractions(train: 0.8, validation: 0, test: 0.2)])
    func proportions(fractions: SplitFractions) throws {
        let split = try StratifiedSplit(labels: Self.labels, classCount: 2, fractions: fractions, seed: 1)
        let all = split.train + split.validation + split.test
        #expect(all.sorted() == Array(Self.labels.indices))
        let shares = [fractions.train, fractions.validation, fractions.test]
        for (part, rows) in [split.train, split.validation, split.test].enumerated() {
            #expect(abs(Double(rows.count) - Double(Self.labels.count) * shares[part]) <= 1, "part \(part) total")
            for label in 0..<2 {
                let total = Self.labels.filter { $0 == label }.count
                let here = rows.filter { Self.labels[$0] == label }.count
                #expect(abs(Double(here) - Double(total) * shares[part]) < 2, "part \(part), class \(label)")
            }
            #expect(rows == rows.sorted())
        }
    }

    @Test("a seed fixes the split; another seed changes it")
    func determinism() throws {
        let a = try StratifiedSplit(labels: Self.labels, classCount: 2, fractions: .standard, seed: 42)
        let b = try StratifiedSplit(labels: Self.labels, classCount: 2, fractions: .standard, seed: 42)
        let c = try StratifiedSplit(labels: Self.labels, classCount: 2, fractions: .standard, seed: 43)
        #expect(a == b)
        #expect(a.test != c.test)
        #expect(a.test.count == c.test.count)
    }

    @Test("rows are drawn uniformly: over many seeds each row is in the test part about equally often")
    func uniformDraw() throws {
        let labels = [Int](repeating: 0, count: 10)
        var hits = [Int](repeating: 0, count: 10)
        let seeds = 4000
        for seed in 0..<seeds {
            let split = try StratifiedSplit(
                labels: labels, classCount: 1, fractions: SplitFractions(train: 0.6, validation: 0.2, test: 0.2),
                seed: UInt64(seed))
            #expect(split.test.count == 2)
            for row in split.test { hits[row] += 1 }
        }
        // Each row: Binomial(4000, 0.2), mean 800, sd ≈ 25.3; 5 sd either side.
        for (row, count) in hits.enumerated() { #expect(abs(count - 800) < 127, "row \(row): \(count)") }
    }

    @Test("a split that comes out empty is an error naming it")
    func emptySplit() {
        let error = dataError {
            _ = try StratifiedSplit(
                labels: [0, 1, 0, 1, 0], classCount: 2,
                fractions: SplitFractions(train: 0.8, validation: 0.05, test: 0.15), seed: 3, source: "tiny.csv")
        }
        #expect(error?.code == .emptySplit)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("tiny.csv: no rows left after a split"), "\(message)")
        #expect(message.contains("validation"), "\(message)")
    }

    @Test("fractions must be non-negative, add up to 1 and give training a share", arguments: [
        SplitFractions(train: 0.5, validation: 0.2, test: 0.2),
        SplitFractions(train: 1.1, validation: -0.1, test: 0),
        SplitFractions(train: 0, validation: 0.5, test: 0.5),
        SplitFractions(train: .nan, validation: 0.5, test: 0.5),
    ])
    func invalidFractions(fractions: SplitFractions) {
        let error = dataError { _ = try StratifiedSplit(labels: [0, 0, 0], classCount: 1, fractions: fractions, seed: 0) }
        #expect(error?.code == .invalidFractions)
    }

    @Test("a validated table splits into tables that keep their source lines")
    func tableSplit() throws {
        let text = "x,y\n" + (0..<40).map { "\($0),\($0 % 4 == 0 ? "a" : "b")" }.joined(separator: "\n")
        let csv = try table(text)
        let validated = try Schema.infer(from: csv, label: "y").validate(csv)
        var generator = SplitMix64(seed: 9)
        let parts = try validated.split(SplitFractions(train: 0.5, validation: 0.25, test: 0.25), using: &generator)
        #expect(parts.train.classCounts == [5, 15])
        #expect(parts.validation.classCounts.reduce(0, +) == 10)
        #expect(parts.test.classCounts.reduce(0, +) == 10)
        guard case .numeric(let xs) = parts.test.columns[0] else {
            Issue.record("x should be numeric")
            return
        }
        #expect(parts.test.lines == xs.map { Int($0) + 2 }, "row x is on line x + 2")
    }
}
