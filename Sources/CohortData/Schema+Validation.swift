extension Schema {
    /// Checks `table` against this schema and returns its typed values.
    ///
    /// Refused, each with an error naming the table's file, the line and the column:
    /// - a column of the table that the schema does not mention (`.columnNotInSchema`);
    /// - the label or an active feature that the table lacks (`.columnNotInTable`);
    ///   ignored features may be absent;
    /// - an empty label cell (`.missingLabel`) or a label that is not a class (`.unknownLabel`);
    /// - text that is not a finite decimal number in a numeric column (`.notANumber`);
    /// - a value that is not one of a categorical column's levels (`.unknownLevel`);
    /// - an empty cell in a column whose policy is `reject` (`.missingValue`).
    ///
    /// The schema itself is checked first (`check(file:)`).
    @discardableResult
    public func validate(_ table: CSVTable) throws -> ValidatedTable {
        try check()
        let file = table.fileName

        let known = Set(features.map(\.name) + [label.name])
        for (index, name) in table.columnNames.enumerated() where !known.contains(name) {
            throw DataError(
                .columnNotInSchema,
                "the table has this column but the schema does not mention it; add it to the schema's features (with \"ignore\": true to leave it out)",
                file: file, line: 1, column: index + 1, columnName: name)
        }
        guard let labelColumn = table.columnIndex(named: label.name) else {
            throw DataError(
                .columnNotInTable, "the schema's label column \"\(label.name)\" is not in the table",
                file: file, line: 1)
        }
        let labels = try validateLabels(table, column: labelColumn)

        var tableColumns: [Int] = []
        for feature in activeFeatures {
            guard let column = table.columnIndex(named: feature.name) else {
                throw DataError(
                    .columnNotInTable, "the schema's feature \"\(feature.name)\" is not in the table",
                    file: file, line: 1)
            }
            tableColumns.append(column)
        }
        let numericPositions = activeFeatures.indices.filter { activeFeatures[$0].kind == .numeric }
        let numbers = try numericValues(table, columns: numericPositions.map { tableColumns[$0] },
                                        features: numericPositions.map { activeFeatures[$0] })

        var columns: [FeatureValues] = []
        var numericIndex = 0
        for (feature, column) in zip(activeFeatures, tableColumns) {
            switch feature.kind {
            case .numeric:
                columns.append(.numeric(numbers.column(numericIndex, rowCount: table.rowCount)))
                numericIndex += 1
            case .categorical(let levels):
                columns.append(.categorical(try levelIndices(table, column: column, feature: feature, levels: levels)))
            }
        }
        return ValidatedTable(
            schema: self, fileName: file, lines: table.recordLines, labels: labels, columns: columns)
    }

    private func validateLabels(_ table: CSVTable, column: Int) throws -> [Int] {
        var classIndex: [String: Int] = [:]
        for (index, name) in label.classes.enumerated() { classIndex[name] = index }
        var labels = [Int](repeating: 0, count: table.rowCount)
        try table.forEachCell(inColumn: column) { row, cell in
            if cell.isEmpty {
                throw DataError(
                    .missingLabel, "the label is missing", file: table.fileName,
                    line: table.recordLines[row], column: column + 1, columnName: label.name)
            }
            let text = String(decoding: cell, as: UTF8.self)
            guard let index = classIndex[text] else {
                throw DataError(
                    .unknownLabel,
                    "label \"\(text)\" is not one of the schema's classes (\(label.classes.map { "\"\($0)\"" }.joined(separator: ", ")))",
                    file: table.fileName, line: table.recordLines[row], column: column + 1, columnName: label.name)
            }
            labels[row] = index
        }
        return labels
    }

    /// All numeric columns read in one pass; the earliest bad cell in file order is the error.
    private func numericValues(
        _ table: CSVTable, columns: [Int], features: [FeatureColumn]
    ) throws -> CSVTable.NumericScan {
        let scan = table.scanNumbers(inColumns: columns, keepValues: true)
        var worst: (row: Int, position: Int, missing: Bool)?
        for position in columns.indices {
            var candidates: [(row: Int, position: Int, missing: Bool)] = []
            if let row = scan.firstNonNumber[position] { candidates.append((row, position, false)) }
            if features[position].missing == .reject, let row = scan.firstMissing[position] {
                candidates.append((row, position, true))
            }
            for candidate in candidates {
                if worst.map({ (candidate.row, columns[candidate.position]) < ($0.row, columns[$0.position]) }) ?? true {
                    worst = candidate
                }
            }
        }
        guard let (row, position, missing) = worst else { return scan }
        let column = columns[position]
        if missing {
            try checkMissingAllowed(features[position], table: table, row: row, column: column)
        }
        let text = table.text(row: row, column: column) ?? ""
        throw DataError(
            .notANumber,
            "\"\(text)\" is not a number, but the schema says the column is numeric (make it categorical, or fix the cell)",
            file: table.fileName, line: table.recordLines[row], column: column + 1, columnName: features[position].name)
    }

    private func levelIndices(
        _ table: CSVTable, column: Int, feature: FeatureColumn, levels: [String]
    ) throws -> [Int] {
        var levelIndex: [String: Int] = [:]
        for (index, level) in levels.enumerated() { levelIndex[level] = index }
        var indices = [Int](repeating: -1, count: table.rowCount)
        try table.forEachCell(inColumn: column) { row, cell in
            if cell.isEmpty {
                try checkMissingAllowed(feature, table: table, row: row, column: column)
                return
            }
            let text = String(decoding: cell, as: UTF8.self)
            guard let index = levelIndex[text] else {
                throw DataError(
                    .unknownLevel,
                    "\"\(text)\" is not one of the levels the schema lists for this categorical column (\(levels.map { "\"\($0)\"" }.joined(separator: ", ")))",
                    file: table.fileName, line: table.recordLines[row], column: column + 1, columnName: feature.name)
            }
            indices[row] = index
        }
        return indices
    }

    private func checkMissingAllowed(_ feature: FeatureColumn, table: CSVTable, row: Int, column: Int) throws {
        if feature.missing == .reject {
            throw DataError(
                .missingValue, "the value is missing, and the schema's policy for this column is \"reject\"",
                file: table.fileName, line: table.recordLines[row], column: column + 1, columnName: feature.name)
        }
    }
}
