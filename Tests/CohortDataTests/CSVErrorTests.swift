import CohortData
import Testing

@Suite("CSV errors name the file, line and column")
struct CSVErrorTests {
    @Test("an empty file is refused", arguments: ["", "\u{FEFF}"])
    func emptyFile(text: String) {
        let error = dataError { _ = try table(text, file: "empty.csv") }
        #expect(error?.code == .emptyFile)
        #expect(error?.message.hasPrefix("empty.csv: ") == true, "\(error?.message ?? "")")
    }

    @Test("a blank first line means the header is missing")
    func blankFirstLine() {
        let error = dataError { _ = try table("\nage,label\n3,1\n", file: "noheader.csv") }
        #expect(error?.code == .missingHeader)
        #expect(error?.line == 1)
        #expect(error?.message.hasPrefix("noheader.csv:1: ") == true, "\(error?.message ?? "")")
    }

    @Test("a file of blank lines has no header")
    func onlyBlankLines() {
        let error = dataError { _ = try table("\n\r\n\n", file: "blank.csv") }
        #expect(error?.code == .missingHeader)
    }

    @Test("a header field without a name is refused, naming its column")
    func unnamedHeaderField() {
        let error = dataError { _ = try table("age,,label\n1,2,3\n", file: "h.csv") }
        #expect(error?.code == .missingHeader)
        #expect(error?.column == 2)
        #expect(error?.message.hasPrefix("h.csv:1:2: ") == true, "\(error?.message ?? "")")
    }

    @Test("a duplicated header name is refused, naming both columns")
    func duplicateHeader() {
        let error = dataError { _ = try table("id,age,sex,age\n1,2,3,4\n", file: "dup.csv") }
        #expect(error?.code == .duplicateColumn)
        #expect(error?.line == 1)
        #expect(error?.column == 4)
        #expect(error?.columnName == "age")
        let message = error?.message ?? ""
        #expect(message.hasPrefix("dup.csv:1:4 (column \"age\"): "), "\(message)")
        #expect(message.contains("columns 2 and 4"), "\(message)")
    }

    @Test("a row with too few or too many fields is refused, naming its line and both counts",
          arguments: [("a,b,c\n1,2,3\n4,5\n", 3, 2), ("a,b,c\n1,2,3\n7,8,9\n4,5,6,7\n", 4, 4)])
    func raggedRow(text: String, line: Int, fields: Int) {
        let error = dataError { _ = try table(text, file: "ragged.csv") }
        #expect(error?.code == .raggedRow)
        #expect(error?.line == line)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("ragged.csv:\(line): "), "\(message)")
        #expect(message.contains("\(fields) fields"), "\(message)")
        #expect(message.contains("the header has 3"), "\(message)")
    }

    @Test("a ragged row after a multi-line record is reported at the line where it starts")
    func raggedRowAfterEmbeddedNewline() {
        let error = dataError { _ = try table("a,b\n\"x\ny\",1\n2\n", file: "r.csv") }
        #expect(error?.code == .raggedRow)
        #expect(error?.line == 4)
    }

    @Test("a blank line inside the data is a ragged row")
    func blankLineInside() {
        let error = dataError { _ = try table("a,b\n1,2\n\n3,4\n", file: "gap.csv") }
        #expect(error?.code == .raggedRow)
        #expect(error?.line == 3)
        #expect(error?.message.contains("1 field,") == true, "\(error?.message ?? "")")
    }

    @Test("an unterminated quote is refused at the line and column where it opens")
    func unterminatedQuote() {
        let error = dataError { _ = try table("id,note\n1,ok\n2,\"never closed\n3,x\n", file: "q.csv") }
        #expect(error?.code == .unterminatedQuote)
        #expect(error?.line == 3)
        #expect(error?.column == 2)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("q.csv:3:2 (column \"note\"): "), "\(message)")
    }

    @Test("text after a closing quote is refused")
    func textAfterQuote() {
        let error = dataError { _ = try table("a,b\n\"x\"y,2\n", file: "m.csv") }
        #expect(error?.code == .malformedQuote)
        #expect(error?.line == 2)
        #expect(error?.column == 1)
    }

    @Test("the error's description is its message")
    func descriptionIsMessage() {
        let error = dataError { _ = try table("a,b\n1\n", file: "d.csv") }
        #expect(error.map { "\($0)" } == error?.message)
    }
}
