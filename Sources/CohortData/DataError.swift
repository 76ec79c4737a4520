/// An error in a data file or schema: the input is wrong, not the program.
///
/// Every error says where it is. `message` is complete on its own and begins with the
/// location in the form compilers use, `file:line:column:`, followed by the column's name
/// where one is known, so a person can open the file at the right place:
///
/// ```
/// Datasets/digits.csv:14:3 (column "pixel_0_2"): "x" is not a number, but the schema says the column is numeric
/// ```
///
/// `line` counts physical lines from 1, with the header as line 1; a record that spans
/// lines (a quoted field with a newline inside) is reported at the line where it starts.
/// `column` counts fields from 1.
public struct DataError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, for code that reacts to particular failures.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The file could not be read at all.
        case unreadableFile
        /// The file has no bytes (or only a byte-order mark).
        case emptyFile
        /// The first line is empty, or a header field has no name.
        case missingHeader
        /// Two header fields have the same name.
        case duplicateColumn
        /// A record has a different number of fields from the header.
        case raggedRow
        /// A quoted field is still open at the end of the file.
        case unterminatedQuote
        /// Text follows the closing quote of a quoted field.
        case malformedQuote
        /// The file is larger than the reader's 4 GiB limit.
        case fileTooLarge
        /// The schema itself is inconsistent or its JSON cannot be decoded.
        case invalidSchema
        /// The schema names a column that the table does not have.
        case columnNotInTable
        /// The table has a column that the schema does not mention.
        case columnNotInSchema
        /// A cell of a numeric column does not hold a finite decimal number.
        case notANumber
        /// A cell of a categorical column holds a level the schema does not list.
        case unknownLevel
        /// A label cell holds a value that is not one of the schema's classes.
        case unknownLabel
        /// A label cell is empty.
        case missingLabel
        /// A cell is empty in a column whose policy is `reject`.
        case missingValue
        /// Split fractions are negative, do not add up to 1, or give the training split nothing.
        case invalidFractions
        /// A split came out with no rows.
        case emptySplit
        /// A feature has no value in the rows that statistics are learned from.
        case noValues
        /// Statistics or aggregates do not describe the same features as the data or each other.
        case statisticsMismatch
    }

    /// What went wrong.
    public var code: Code
    /// The full human-readable text, location first.
    public var message: String
    /// The file (or schema, or split) the error is about.
    public var file: String?
    /// The 1-based line, the header being line 1.
    public var line: Int?
    /// The 1-based field position.
    public var column: Int?
    /// The column's name, where it is known.
    public var columnName: String?

    /// An error whose `message` is `detail` preceded by the location.
    public init(
        _ code: Code, _ detail: String,
        file: String? = nil, line: Int? = nil, column: Int? = nil, columnName: String? = nil
    ) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.columnName = columnName
        self.message = DataError.locationPrefix(file: file, line: line, column: column, columnName: columnName) + detail
    }

    /// The message.
    public var description: String { message }

    private static func locationPrefix(file: String?, line: Int?, column: Int?, columnName: String?) -> String {
        var prefix = file ?? ""
        if let line {
            prefix += prefix.isEmpty ? "line \(line)" : ":\(line)"
            if let column { prefix += ":\(column)" }
        } else if let column {
            prefix += prefix.isEmpty ? "column \(column)" : ", column \(column)"
        }
        if let columnName {
            prefix += prefix.isEmpty ? "column \"\(columnName)\"" : " (column \"\(columnName)\")"
        }
        return prefix.isEmpty ? "" : prefix + ": "
    }
}
