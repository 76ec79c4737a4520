import Foundation

/// A CSV file read into memory: a header of column names and rows of text cells.
///
/// The format is RFC 4180 (Shafranovich, 2005) with the usual leniencies:
///
/// - the first record is the header and is required; names must be non-empty and unique;
/// - fields are separated by commas; records end with LF or CRLF (a lone CR also ends one);
/// - a field in double quotes may hold commas, line breaks and `""` for one quote;
///   a quote inside an unquoted field is an ordinary character;
/// - an empty cell (`,,` or `""`) is a *missing* value;
/// - the final line break is optional, and blank lines at the end of the file are ignored;
/// - a UTF-8 byte-order mark is skipped.
///
/// Every record must have as many fields as the header. Cells are kept as the bytes of
/// one buffer and become `String` or `Double` only when asked for, so a 60,000 × 785
/// numeric file loads in a fraction of a second in release builds.
public struct CSVTable: Sendable {
    /// The name used for this table in error messages: the path it was read from, or the
    /// name given when parsing text.
    public let fileName: String
    /// The header, in file order.
    public let columnNames: [String]

    /// Unescaped content of every data cell, row-major, back to back.
    let cellBytes: [UInt8]
    /// The end offset of each cell in `cellBytes`; a cell starts where the previous one ends.
    let cellEnds: [UInt32]
    /// The 1-based line on which each row starts (the header is line 1).
    let recordLines: [Int]
    private let columnIndexByName: [String: Int]

    /// Reads and parses the file at `url`; errors name the file by its path.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError(.unreadableFile, "cannot read the file: \(error.localizedDescription)", file: url.path)
        }
        try self.init(parsing: [UInt8](data), fileName: url.path)
    }

    /// Parses CSV text; `fileName` is how errors refer to it.
    public init(parsing text: String, fileName: String) throws {
        try self.init(parsing: Array(text.utf8), fileName: fileName)
    }

    /// Parses UTF-8 CSV bytes; `fileName` is how errors refer to them.
    public init(parsing bytes: [UInt8], fileName: String) throws {
        let output = try CSVParser(fileName: fileName).parse(bytes)
        self.fileName = fileName
        self.columnNames = output.header
        self.cellBytes = output.cellBytes
        self.cellEnds = output.cellEnds
        self.recordLines = output.recordLines
        var index: [String: Int] = [:]
        for (position, name) in output.header.enumerated() { index[name] = position }
        self.columnIndexByName = index
    }

    /// The number of data rows (the header is not a row).
    public var rowCount: Int { recordLines.count }

    /// The number of columns.
    public var columnCount: Int { columnNames.count }

    /// The position of the column called `name`, or nil if there is none.
    public func columnIndex(named name: String) -> Int? { columnIndexByName[name] }

    /// The 1-based line of the file on which `row` starts; the header is line 1, so the
    /// first row of a file without embedded line breaks is on line 2.
    public func line(ofRow row: Int) -> Int {
        precondition(row >= 0 && row < rowCount, "row \(row) is outside 0..<\(rowCount) of \(fileName)")
        return recordLines[row]
    }

    /// Whether the cell is empty, which means the value is missing.
    public func isMissing(row: Int, column: Int) -> Bool {
        let range = cellRange(row: row, column: column)
        return range.isEmpty
    }

    /// The cell's text, or nil when it is missing (empty).
    public func text(row: Int, column: Int) -> String? {
        let range = cellRange(row: row, column: column)
        if range.isEmpty { return nil }
        return cellBytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[range]), as: UTF8.self)
        }
    }

    /// The cell as a number, or nil when it is missing or is not a finite decimal number.
    ///
    /// Accepted: optional surrounding spaces or tabs, an optional sign, digits with an
    /// optional decimal point, and an optional exponent (`1`, `-0.5`, `.5`, `2.`, `6.1e-3`).
    /// Not accepted: `nan`, `inf`, hexadecimal, thousands separators.
    public func number(row: Int, column: Int) -> Double? {
        let range = cellRange(row: row, column: column)
        if range.isEmpty { return nil }
        return cellBytes.withUnsafeBufferPointer { buffer in
            DecimalParser.parse(UnsafeBufferPointer(rebasing: buffer[range]))
        }
    }

    /// All cells of one column as text, nil where missing.
    public func texts(inColumn column: Int) -> [String?] {
        (0..<rowCount).map { text(row: $0, column: column) }
    }

    /// Calls `body` with each row index and the raw bytes of that row's cell in `column`.
    func forEachCell(
        inColumn column: Int, _ body: (_ row: Int, _ cell: UnsafeBufferPointer<UInt8>) throws -> Void
    ) rethrows {
        precondition(column >= 0 && column < columnCount, "column \(column) is outside 0..<\(columnCount) of \(fileName)")
        try cellBytes.withUnsafeBufferPointer { buffer in
            try cellEnds.withUnsafeBufferPointer { ends in
                let width = columnCount
                for row in 0..<rowCount {
                    let index = row * width + column
                    let start = index == 0 ? 0 : Int(ends[index - 1])
                    try body(row, UnsafeBufferPointer(rebasing: buffer[start..<Int(ends[index])]))
                }
            }
        }
    }

    private func cellRange(row: Int, column: Int) -> Range<Int> {
        precondition(row >= 0 && row < rowCount && column >= 0 && column < columnCount,
                     "cell [\(row), \(column)] is outside \(rowCount) × \(columnCount) of \(fileName)")
        let index = row * columnCount + column
        let start = index == 0 ? 0 : Int(cellEnds[index - 1])
        return start..<Int(cellEnds[index])
    }
}
