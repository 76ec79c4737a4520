import CohortTensor

/// The shares of the rows that go to training, validation and test.
public struct SplitFractions: Sendable, Equatable, Hashable, Codable {
    /// The training share, greater than 0.
    public var train: Double
    /// The validation share; 0 asks for no validation rows.
    public var validation: Double
    /// The test share; 0 asks for no test rows.
    public var test: Double

    /// Fractions that must each be at least 0 and add up to 1 (within 10⁻⁹).
    public init(train: Double, validation: Double, test: Double) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// 70 % training, 15 % validation, 15 % test.
    public static let standard = SplitFractions(train: 0.7, validation: 0.15, test: 0.15)

    /// Checks that the fractions are finite, not negative, add up to 1 and give training a share.
    public func validate() throws {
        let all = [train, validation, test]
        guard all.allSatisfy({ $0.isFinite && $0 >= 0 }), train > 0, abs(all.reduce(0, +) - 1) <= 1e-9 else {
            throw DataError(
                .invalidFractions,
                "split fractions train \(train), validation \(validation), test \(test) must be at least 0, add up to 1, and give training more than 0")
        }
    }
}

/// A stratified train/validation/test split: row indices for each part, with every class
/// divided in the requested proportions.
///
/// The sizes are fixed first and the rows drawn second:
/// 1. each part's total is n·fraction rounded by largest remainder (Hamilton's method);
/// 2. each class c with n_c rows gets ⌊n_c·fraction⌋ rows in each part, and the remaining
///    rows are handed out, largest fractional remainder first, without exceeding any
///    part's total or any class's rows, so every cell is within 2 of n_c·fraction;
/// 3. within each class the rows are shuffled (Fisher–Yates, Knuth TAOCP vol. 2 §3.4.2)
///    and dealt out in order: train, validation, test.
///
/// The same labels, fractions and generator state give the same split. Indices in each part
/// are in ascending order.
public struct StratifiedSplit: Sendable, Equatable, Hashable {
    /// Rows for training, ascending.
    public var train: [Int]
    /// Rows for validation, ascending.
    public var validation: [Int]
    /// Rows for testing, ascending.
    public var test: [Int]

    /// Splits the rows whose class indices are `labels` (each in `0..<classCount`) with a
    /// `SeededGenerator` started from `seed`.
    public init(labels: [Int], classCount: Int, fractions: SplitFractions, seed: UInt64, source: String? = nil) throws {
        var generator = SeededGenerator(seed: seed)
        try self.init(labels: labels, classCount: classCount, fractions: fractions, using: &generator, source: source)
    }

    /// Splits the rows whose class indices are `labels` (each in `0..<classCount`), drawing
    /// from `generator`; `source` names the data in error messages.
    ///
    /// - Throws: `DataError` `.invalidFractions`, or `.emptySplit` ("no rows left after a
    ///   split") when a part with a fraction above 0 would get no rows.
    public init(
        labels: [Int], classCount: Int, fractions: SplitFractions,
        using generator: inout some RandomNumberGenerator, source: String? = nil
    ) throws {
        try fractions.validate()
        let shares = [fractions.train, fractions.validation, fractions.test]
        let names = ["training", "validation", "test"]
        var rowsByClass = [[Int]](repeating: [], count: classCount)
        for (row, label) in labels.enumerated() {
            precondition(label >= 0 && label < classCount, "label \(label) of row \(row) is outside 0..<\(classCount)")
            rowsByClass[label].append(row)
        }

        let totals = StratifiedSplit.apportion(labels.count, shares)
        for part in 0..<3 where shares[part] > 0 && totals[part] == 0 {
            throw DataError(
                .emptySplit,
                "no rows left after a split: the \(names[part]) split is empty (\(labels.count) rows, fraction \(shares[part])); use more rows or a larger fraction",
                file: source)
        }
        let counts = StratifiedSplit.allocate(classSizes: rowsByClass.map(\.count), shares: shares, totals: totals)

        var parts: [[Int]] = [[], [], []]
        for (label, var rows) in rowsByClass.enumerated() {
            StratifiedSplit.shuffle(&rows, using: &generator)
            var start = 0
            for part in 0..<3 {
                parts[part] += rows[start..<(start + counts[label][part])]
                start += counts[label][part]
            }
        }
        train = parts[0].sorted()
        validation = parts[1].sorted()
        test = parts[2].sorted()
    }

    /// Hamilton's largest-remainder apportionment of `total` by `shares` (ties to the earlier).
    static func apportion(_ total: Int, _ shares: [Double]) -> [Int] {
        let sum = shares.reduce(0, +)
        let ideal = shares.map { Double(total) * $0 / sum }
        var counts = ideal.map { Int($0.rounded(.down)) }
        let order = shares.indices.sorted { (ideal[$0] - Double(counts[$0]), -$0) > (ideal[$1] - Double(counts[$1]), -$1) }
        var left = total - counts.reduce(0, +)
        while left > 0 {
            for index in order where left > 0 && shares[index] > 0 {
                counts[index] += 1
                left -= 1
            }
        }
        return counts
    }

    /// Rows of each class per part: floors of the ideal counts, then the remainders handed
    /// out largest first within each class's rows and each part's total.
    static func allocate(classSizes: [Int], shares: [Double], totals: [Int]) -> [[Int]] {
        let sum = shares.reduce(0, +)
        var counts = classSizes.map { size in shares.map { Int((Double(size) * $0 / sum).rounded(.down)) } }
        var classLeft = classSizes.indices.map { classSizes[$0] - counts[$0].reduce(0, +) }
        var partLeft = (0..<shares.count).map { part in totals[part] - counts.reduce(0) { $0 + $1[part] } }

        var cells: [(remainder: Double, label: Int, part: Int)] = []
        for (label, size) in classSizes.enumerated() {
            for part in shares.indices where shares[part] > 0 {
                cells.append((Double(size) * shares[part] / sum - Double(counts[label][part]), label, part))
            }
        }
        cells.sort { ($0.remainder, -$0.label, -$0.part) > ($1.remainder, -$1.label, -$1.part) }
        // First pass: at most one extra row per cell, by remainder; second pass: whatever fits.
        for pass in 0..<2 {
            for cell in cells where classLeft[cell.label] > 0 && partLeft[cell.part] > 0 {
                let extra = pass == 0 ? 1 : min(classLeft[cell.label], partLeft[cell.part])
                counts[cell.label][cell.part] += extra
                classLeft[cell.label] -= extra
                partLeft[cell.part] -= extra
            }
        }
        precondition(classLeft.allSatisfy { $0 == 0 }, "stratified allocation left rows unassigned")
        return counts
    }

    /// Fisher–Yates shuffle with an unbiased bounded draw (D. Lemire, "Fast random integer
    /// generation in an interval", ACM TOMACS 2019), written out so that a seed gives the
    /// same order whatever the standard library's own shuffle does.
    static func shuffle(_ values: inout [Int], using generator: inout some RandomNumberGenerator) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) {
            let bound = UInt64(index + 1)
            var product = generator.next().multipliedFullWidth(by: bound)
            if product.low < bound {
                let threshold = (0 &- bound) % bound
                while product.low < threshold { product = generator.next().multipliedFullWidth(by: bound) }
            }
            values.swapAt(index, Int(product.high))
        }
    }
}
