import CohortData
import Foundation
import Testing

@Suite("Reading CSV")
struct CSVTableTests {
    @Test("a plain file gives its header, cells, numbers and 1-based lines")
    func plainFile() throws {
        let csv = try table("age,sex,label\n34,F,1\n51,M,0\n")
        #expect(csv.columnNames == ["age", "sex", "label"])
        #expect(csv.rowCount == 2)
        #expect(csv.columnCount == 3)
        #expect(csv.text(row: 1, column: 1) == "M")
        #expect(csv.number(row: 0, column: 0) == 34)
        #expect(csv.number(row: 0, column: 1) == nil)
        #expect(csv.line(ofRow: 0) == 2)
        #expect(csv.line(ofRow: 1) == 3)
        #expect(csv.columnIndex(named: "label") == 2)
        #expect(csv.columnIndex(named: "nope") == nil)
    }

    @Test("quoted fields keep commas and turn doubled quotes into one")
    func quotedFields() throws {
        let csv = try table("name,note\n\"Smith, J\",\"said \"\"hi\"\"\"\n\"\",plain \"quote\n")
        #expect(csv.text(row: 0, column: 0) == "Smith, J")
        #expect(csv.text(row: 0, column: 1) == "said \"hi\"")
        #expect(csv.isMissing(row: 1, column: 0), "a quoted empty field is missing")
        #expect(csv.text(row: 1, column: 1) == "plain \"quote", "a quote inside an unquoted field is literal")
    }

    @Test("a line break inside quotes stays in the cell and moves later rows' line numbers")
    func embeddedNewlines() throws {
        let csv = try table("id,note\n1,\"two\nlines\"\n2,\"three\r\nline\rbreaks\"\n3,x\n")
        #expect(csv.rowCount == 3)
        #expect(csv.text(row: 0, column: 1) == "two\nlines")
        #expect(csv.text(row: 1, column: 1) == "three\r\nline\rbreaks")
        #expect(csv.line(ofRow: 0) == 2)
        #expect(csv.line(ofRow: 1) == 4)
        #expect(csv.line(ofRow: 2) == 7)
    }

    @Test("CRLF and LF files read the same", arguments: ["\r\n", "\n"])
    func lineEndings(newline: String) throws {
        let csv = try table(["a,b", "1,2", "3,"].joined(separator: newline) + newline)
        #expect(csv.rowCount == 2)
        #expect(csv.text(row: 0, column: 1) == "2", "no CR may be left in the last cell")
        #expect(csv.isMissing(row: 1, column: 1))
        #expect(csv.line(ofRow: 1) == 3)
    }

    @Test("the final newline is optional and trailing blank lines are not rows")
    func trailingNewline() throws {
        let without = try table("a,b\n1,2")
        let with = try table("a,b\n1,2\n")
        let blank = try table("a,b\n1,2\n\n\r\n")
        #expect(without.rowCount == 1)
        #expect(with.rowCount == 1)
        #expect(blank.rowCount == 1)
        #expect(without.text(row: 0, column: 1) == "2")
    }

    @Test("empty cells are missing values, anywhere in the row")
    func missingCells() throws {
        let csv = try table("a,b,c\n,2,\n1,,3\n")
        #expect(csv.isMissing(row: 0, column: 0))
        #expect(csv.isMissing(row: 0, column: 2))
        #expect(!csv.isMissing(row: 0, column: 1))
        #expect(csv.text(row: 1, column: 1) == nil)
        #expect(csv.number(row: 1, column: 1) == nil)
    }

    @Test("a header-only file has no rows; a byte-order mark is skipped")
    func headerOnlyAndBOM() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let csv = try CSVTable(parsing: bom + Array("x,y\n".utf8), fileName: "bom.csv")
        #expect(csv.columnNames == ["x", "y"])
        #expect(csv.rowCount == 0)
    }

    @Test("numbers: decimal forms parse exactly, other text does not")
    func numbers() throws {
        let accepted = ["0", "-0.5", "+3", ".25", "2.", "6.1e-3", "1E5", " 42 ", "0.1", "123456789012345678901", "1.7976931348623157e308", "4.9e-324"]
        let rejected = ["nan", "inf", "-infinity", "0x10", "1e400", "1,5", "1.2.3", "e5", "-", ".", "1e", "12abc", "١٢"]
        let text = "value\n" + (accepted + rejected).map { "\"\($0)\"" }.joined(separator: "\n")
        let csv = try table(text)
        for (row, literal) in accepted.enumerated() {
            let expected = try #require(Double(literal.trimmingCharacters(in: .whitespaces)))
            #expect(csv.number(row: row, column: 0) == expected, "\(literal)")
        }
        for (offset, literal) in rejected.enumerated() {
            #expect(csv.number(row: accepted.count + offset, column: 0) == nil, "\(literal)")
        }
    }

    @Test("many random decimals parse to the same double as the standard library")
    func numbersMatchStandardLibrary() throws {
        var generator = SplitMix64(seed: 2024)
        var literals: [String] = []
        for _ in 0..<2000 {
            let digits = String(UInt64.random(in: 1...UInt64.max, using: &generator)).prefix(Int.random(in: 1...19, using: &generator))
            let point = Int.random(in: 0...digits.count, using: &generator)
            let exponent = Int.random(in: -30...30, using: &generator)
            literals.append("\(digits.prefix(point)).\(digits.dropFirst(point))e\(exponent)")
        }
        let csv = try table("x\n" + literals.joined(separator: "\n"))
        for (row, literal) in literals.enumerated() {
            #expect(csv.number(row: row, column: 0) == Double(literal), "\(literal)")
        }
    }

    @Test("a file that cannot be read is an error naming its path")
    func unreadableFile() {
        let url = URL(fileURLWithPath: "/nonexistent/cohort/missing.csv")
        let error = dataError { _ = try CSVTable(contentsOf: url) }
        #expect(error?.code == .unreadableFile)
        #expect(error?.message.contains("/nonexistent/cohort/missing.csv") == true)
    }

    /// How fast is for the benchmark, not a test: this checks that a wide file goes through
    /// parsing, inference, validation and encoding to a matrix of the right shape.
    @Test("a 3,000 × 785 numeric file parses, infers, validates and encodes to a 3,000 × 784 design matrix")
    func largeFile() throws {
        let columns = 785
        var bytes: [UInt8] = Array((0..<columns).map { "c\($0)" }.joined(separator: ",").utf8) + [10]
        bytes.reserveCapacity(3_000 * columns * 3)
        for row in 0..<3_000 {
            for column in 0..<columns {
                if column > 0 { bytes.append(UInt8(ascii: ",")) }
                let value = (row &* 31 &+ column &* 7) % 256
                bytes += Array(String(value < 200 ? 0 : value).utf8)
            }
            bytes.append(10)
        }
        let clock = ContinuousClock()
        var csv: CSVTable?
        let parse = try clock.measure { csv = try CSVTable(parsing: bytes, fileName: "big.csv") }
        let loaded = try #require(csv)
        #expect(loaded.rowCount == 3_000)
        var schema: Schema?
        let infer = try clock.measure { schema = try Schema.infer(from: loaded, label: "c784") }
        var validated: ValidatedTable?
        let validate = try clock.measure { validated = try schema?.validate(loaded) }
        let rows = try #require(validated)
        var matrix: DesignMatrix?
        let encode = try clock.measure { matrix = try PreprocessingStatistics.fit(rows).apply(to: rows) }
        print("parsed \(bytes.count) bytes in \(parse); inferred in \(infer), validated in \(validate), fitted and encoded in \(encode)")
        #expect(matrix?.features.shape == [3_000, 784])
    }
}
