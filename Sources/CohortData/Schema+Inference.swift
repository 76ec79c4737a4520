extension Schema {
    /// A schema guessed from the data, for a person to check and correct.
    ///
    /// - The label's classes are its distinct non-empty values, in numeric order when all
    ///   are numbers and in text order otherwise.
    /// - Every other column, in file order, becomes a feature: numeric when each non-empty
    ///   cell is a finite decimal number, otherwise categorical with its distinct values as
    ///   levels (ordered the same way as classes).
    /// - A column with no values at all is kept as a numeric feature marked `ignore`.
    /// - Every feature's missing-value policy is `impute`; set `reject` where an empty cell
    ///   should stop a load.
    ///
    /// Inference looks at every row it is given, so levels seen only in the test rows are
    /// still listed; no statistics are learned here.
    ///
    /// - Throws: `DataError` `.columnNotInTable` when `label` is not a column.
    public static func infer(from table: CSVTable, label: String) throws -> Schema {
        guard let labelColumn = table.columnIndex(named: label) else {
            throw DataError(
                .columnNotInTable,
                "the label column \"\(label)\" is not in the table; its columns are \(table.columnNames.joined(separator: ", "))",
                file: table.fileName, line: 1)
        }
        let columns = (0..<table.columnCount).filter { $0 != labelColumn }
        let scan = table.scanNumbers(inColumns: columns, keepValues: false)
        var features: [FeatureColumn] = []
        for (position, column) in columns.enumerated() {
            let name = table.columnNames[column]
            if scan.firstNonNumber[position] != nil {
                let levels = sortedValues(table.texts(inColumn: column).compactMap { $0 })
                features.append(FeatureColumn(name: name, kind: .categorical(levels: levels)))
            } else if scan.numberCounts[position] == 0 {
                features.append(FeatureColumn(name: name, kind: .numeric, missing: .impute, ignore: true))
            } else {
                features.append(FeatureColumn(name: name, kind: .numeric))
            }
        }
        let labelValues = table.texts(inColumn: labelColumn).compactMap { $0 }
        return Schema(label: LabelColumn(name: label, classes: sortedValues(labelValues)), features: features)
    }
}
