/// The byte-level CSV reader behind `CSVTable` (RFC 4180 with the leniencies listed there).
///
/// It makes one pass over the bytes and writes every cell's unescaped content into one
/// output buffer, recording where each cell ends; no `String` is made for a data cell.
struct CSVParser {
    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// What one parse produces.
    struct Output {
        var header: [String] = []
        var cellBytes: [UInt8] = []
        var cellEnds: [UInt32] = []
        var recordLines: [Int] = []
    }

    let fileName: String

    /// Parses `input`, which may start with a UTF-8 byte-order mark.
    func parse(_ input: [UInt8]) throws -> Output {
        guard input.count <= Int(UInt32.max) else {
            throw DataError(.fileTooLarge, "the file has \(input.count) bytes; the reader handles at most 4 GiB", file: fileName)
        }
        var output = Output()
        // Cell content is never longer than the input, so the buffer cannot overflow.
        output.cellBytes = try [UInt8](unsafeUninitializedCapacity: max(input.count, 1)) { buffer, initialized in
            initialized = try input.withUnsafeBufferPointer { bytes in
                try parse(bytes, into: buffer, output: &output)
            }
        }
        return output
    }

    /// Returns how many bytes of `cells` hold data-cell content.
    private func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, into cells: UnsafeMutableBufferPointer<UInt8>, output: inout Output
    ) throws -> Int {
        var start = 0
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF { start = 3 }
        let end = bytes.count
        guard start < end else { throw DataError(.emptyFile, "the file is empty; a header row is required", file: fileName) }

        // Blank lines at the very end of the file are not records.
        var contentEnd = end
        while contentEnd > start && (bytes[contentEnd - 1] == Self.lineFeed || bytes[contentEnd - 1] == Self.carriageReturn) {
            contentEnd -= 1
        }

        var position = start
        var written = 0
        var line = 1
        var headerCount = 0
        var expectedFields = -1 // until the header is read
        output.cellEnds.reserveCapacity(end / 4)

        while position < contentEnd {
            let recordLine = line
            var fields = 0
            var lastFieldQuoted = false
            var lastFieldStart = written
            record: while true {
                lastFieldStart = written
                lastFieldQuoted = false
                if position < end && bytes[position] == Self.quote {
                    lastFieldQuoted = true
                    let openLine = line
                    position += 1
                    while true {
                        guard position < end else {
                            throw DataError(
                                .unterminatedQuote, "a quoted field opened here is never closed",
                                file: fileName, line: openLine, column: fields + 1,
                                columnName: columnName(fields, headerCount: headerCount, output: output))
                        }
                        let byte = bytes[position]
                        if byte == Self.quote {
                            if position + 1 < end && bytes[position + 1] == Self.quote {
                                cells[written] = Self.quote
                                written += 1
                                position += 2
                                continue
                            }
                            position += 1
                            break
                        }
                        if byte == Self.lineFeed
                            || (byte == Self.carriageReturn && !(position + 1 < end && bytes[position + 1] == Self.lineFeed)) {
                            line += 1
                        }
                        cells[written] = byte
                        written += 1
                        position += 1
                    }
                    if position < end {
                        let next = bytes[position]
                        if next != Self.comma && next != Self.lineFeed && next != Self.carriageReturn {
                            throw DataError(
                                .malformedQuote, "text follows the closing quote of a quoted field (write \"\" for a quote inside one)",
                                file: fileName, line: line, column: fields + 1,
                                columnName: columnName(fields, headerCount: headerCount, output: output))
                        }
                    }
                } else {
                    while position < end {
                        let byte = bytes[position]
                        if byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn { break }
                        cells[written] = byte
                        written += 1
                        position += 1
                    }
                }
                output.cellEnds.append(UInt32(written))
                fields += 1
                guard position < end else { break record }
                let byte = bytes[position]
                position += 1
                if byte == Self.comma { continue record }
                if byte == Self.carriageReturn && position < end && bytes[position] == Self.lineFeed { position += 1 }
                line += 1
                break record
            }

            if expectedFields < 0 {
                let blank = fields == 1 && !lastFieldQuoted && written == lastFieldStart
                output.header = try header(from: cells, count: fields, output: output, blank: blank)
                headerCount = fields
                expectedFields = fields
                output.cellEnds.removeAll(keepingCapacity: true)
                written = 0
            } else {
                guard fields == expectedFields else {
                    throw DataError(
                        .raggedRow, "this row has \(fields) field\(fields == 1 ? "" : "s"), but the header has \(expectedFields)",
                        file: fileName, line: recordLine)
                }
                output.recordLines.append(recordLine)
            }
        }
        if expectedFields < 0 {
            throw DataError(.missingHeader, "the file holds only blank lines; a header row is required", file: fileName, line: 1)
        }
        return written
    }

    /// The header names, checked: present, non-empty and unique.
    private func header(
        from cells: UnsafeMutableBufferPointer<UInt8>, count: Int, output: Output, blank: Bool
    ) throws -> [String] {
        if blank {
            throw DataError(.missingHeader, "the first line is empty; a header row is required", file: fileName, line: 1)
        }
        var names: [String] = []
        var seen: [String: Int] = [:]
        var cellStart = 0
        for index in 0..<count {
            let cellEnd = Int(output.cellEnds[index])
            let name = String(decoding: UnsafeBufferPointer(rebasing: cells[cellStart..<cellEnd]), as: UTF8.self)
            cellStart = cellEnd
            if name.isEmpty {
                throw DataError(.missingHeader, "header field \(index + 1) has no name", file: fileName, line: 1, column: index + 1)
            }
            if let first = seen[name] {
                throw DataError(
                    .duplicateColumn, "the header names \"\(name)\" twice, in columns \(first + 1) and \(index + 1)",
                    file: fileName, line: 1, column: index + 1, columnName: name)
            }
            seen[name] = index
            names.append(name)
        }
        return names
    }

    private func columnName(_ field: Int, headerCount: Int, output: Output) -> String? {
        field < output.header.count ? output.header[field] : nil
    }
}
