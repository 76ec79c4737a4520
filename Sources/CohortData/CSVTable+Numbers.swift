extension CSVTable {
    /// The outcome of reading some columns as numbers in one pass.
    struct NumericScan {
        /// The values, column after column (`rowCount` per column); NaN where a cell is
        /// missing or not a number. Empty when values were not asked for.
        var values: [Double]
        /// Per column, how many cells hold a number.
        var numberCounts: [Int]
        /// Per column, the first row whose cell is text that is not a number.
        var firstNonNumber: [Int?]
        /// Per column, the first row whose cell is empty.
        var firstMissing: [Int?]

        /// Column `position`'s values (in the order the columns were asked for).
        func column(_ position: Int, rowCount: Int) -> [Double] {
            Array(values[(position * rowCount)..<((position + 1) * rowCount)])
        }
    }

    /// Reads `columns` as numbers, walking the cells in file order so that memory is read
    /// front to back however many columns there are.
    func scanNumbers(inColumns columns: [Int], keepValues: Bool) -> NumericScan {
        let rows = rowCount
        let width = columnCount
        var scan = NumericScan(
            values: [],
            numberCounts: [Int](repeating: 0, count: columns.count),
            firstNonNumber: [Int?](repeating: nil, count: columns.count),
            firstMissing: [Int?](repeating: nil, count: columns.count))
        var positionOfColumn = [Int](repeating: -1, count: width)
        for (position, column) in columns.enumerated() {
            precondition(column >= 0 && column < width, "column \(column) is outside 0..<\(width) of \(fileName)")
            positionOfColumn[column] = position
        }
        var values = [Double](repeating: .nan, count: keepValues ? rows * columns.count : 0)
        cellBytes.withUnsafeBufferPointer { bytes in
            cellEnds.withUnsafeBufferPointer { ends in
                values.withUnsafeMutableBufferPointer { output in
                    var start = 0
                    for row in 0..<rows {
                        for column in 0..<width {
                            let end = Int(ends[row * width + column])
                            defer { start = end }
                            let position = positionOfColumn[column]
                            if position < 0 { continue }
                            if start == end {
                                if scan.firstMissing[position] == nil { scan.firstMissing[position] = row }
                                continue
                            }
                            guard let value = DecimalParser.parse(UnsafeBufferPointer(rebasing: bytes[start..<end])) else {
                                if scan.firstNonNumber[position] == nil { scan.firstNonNumber[position] = row }
                                continue
                            }
                            scan.numberCounts[position] += 1
                            if keepValues { output[position * rows + row] = value }
                        }
                    }
                }
            }
        }
        scan.values = values
        return scan
    }
}
