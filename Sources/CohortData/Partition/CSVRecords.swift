import Foundation

/// A CSV file's header and records as the bytes they were written with, so that a subset of
/// its rows can be written out unchanged: same quoting, same number formatting, same line
/// endings. `SitePartition.writeFiles(from:to:)` uses it to give each simulated site a file.
///
/// The file is parsed with `CSVTable`'s rules (RFC 4180 with its leniencies), so a file
/// that `CSVTable` refuses is refused here with the same message. A record that spans lines
/// (a quoted field with a line break inside) is kept whole. A byte-order mark is dropped.
public struct CSVRecords: Sendable {
    /// The name used in messages: the path it was read from, or the name given.
    public let fileName: String
    private let bytes: [UInt8]
    /// The header's bytes, without its line break.
    private let header: Range<Int>
    /// Each record's bytes, without its line break.
    private let records: [Range<Int>]
    /// The line break the file uses after its header (`\n` when it has none).
    private let lineBreak: [UInt8]

    /// Reads the file at `url`.
    ///
    /// - Throws: `DataError` when the file cannot be read or is not valid CSV.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DataError(.unreadableFile, "cannot read the file: \(error.localizedDescription)", file: url.path)
        }
        try self.init(bytes: [UInt8](data), fileName: url.path)
    }

    /// Splits UTF-8 CSV bytes into header and records; `fileName` names them in errors.
    ///
    /// - Throws: `DataError` when the bytes are not valid CSV.
    public init(bytes: [UInt8], fileName: String) throws {
        let parsed = try CSVParser(fileName: fileName).parse(bytes)
        let lineFeed = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        var contentEnd = bytes.count
        while contentEnd > start && (bytes[contentEnd - 1] == lineFeed || bytes[contentEnd - 1] == carriageReturn) {
            contentEnd -= 1
        }
        // lineStarts[k] is where physical line k + 1 starts, counting line breaks as the
        // parser does: LF, CRLF and a lone CR each end one line.
        var lineStarts = [start]
        var position = start
        while position < contentEnd {
            let byte = bytes[position]
            if byte == lineFeed || (byte == carriageReturn && !(position + 1 < bytes.count && bytes[position + 1] == lineFeed)) {
                lineStarts.append(position + 1)
            }
            position += 1
        }
        /// The end of the content of the line before `next`, without its line break.
        func lineContentEnd(before next: Int) -> Int {
            var end = next - 1 // the LF or lone CR
            if bytes[end] == lineFeed && end > start && bytes[end - 1] == carriageReturn { end -= 1 }
            return end
        }
        let firstLines = parsed.recordLines
        var records: [Range<Int>] = []
        records.reserveCapacity(firstLines.count)
        for (index, line) in firstLines.enumerated() {
            let from = lineStarts[line - 1]
            let to = index + 1 < firstLines.count ? lineContentEnd(before: lineStarts[firstLines[index + 1] - 1]) : contentEnd
            records.append(from..<to)
        }
        let headerEnd = firstLines.first.map { lineContentEnd(before: lineStarts[$0 - 1]) } ?? contentEnd
        var lineBreak: [UInt8] = [lineFeed]
        if let first = firstLines.first {
            let breakStart = headerEnd
            let breakEnd = lineStarts[first - 1]
            lineBreak = Array(bytes[breakStart..<breakEnd])
        }
        self.fileName = fileName
        self.bytes = bytes
        self.header = start..<headerEnd
        self.records = records
        self.lineBreak = lineBreak
    }

    /// The number of records (rows), not counting the header.
    public var rowCount: Int { records.count }

    /// The header line as written, without its line break.
    public var headerText: String { String(decoding: bytes[header], as: UTF8.self) }

    /// Record `row` (0-based) as written, without its final line break.
    public func recordText(_ row: Int) -> String {
        precondition(row >= 0 && row < records.count, "row \(row) is outside 0..<\(records.count) of \(fileName)")
        return String(decoding: bytes[records[row]], as: UTF8.self)
    }

    /// A CSV file of the header and the given rows, in the order given, each line ended
    /// with the file's own line break.
    public func csv(rows: [Int]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(header.count + lineBreak.count + rows.reduce(0) { $0 + records[$1].count + lineBreak.count })
        output += bytes[header]
        output += lineBreak
        for row in rows {
            precondition(row >= 0 && row < records.count, "row \(row) is outside 0..<\(records.count) of \(fileName)")
            output += bytes[records[row]]
            output += lineBreak
        }
        return output
    }
}
