import CohortData
import Foundation
import Testing

@Suite("Writing site files")
struct PartitionFilesTests {
    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-partition-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("records keep their original text, quoting and line breaks")
    func recordsAreVerbatim() throws {
        let text = "\u{FEFF}name,note,y\r\nann,\"two\nlines\",1\r\nbob,  1.50 ,0\r\n\"c,d\",\"say \"\"hi\"\"\",1"
        let records = try CSVRecords(bytes: Array(text.utf8), fileName: "r.csv")
        #expect(records.rowCount == 3)
        #expect(records.headerText == "name,note,y")
        #expect(records.recordText(0) == "ann,\"two\nlines\",1")
        #expect(records.recordText(1) == "bob,  1.50 ,0")
        #expect(records.recordText(2) == "\"c,d\",\"say \"\"hi\"\"\",1")
        let subset = String(decoding: records.csv(rows: [2, 0]), as: UTF8.self)
        #expect(subset == "name,note,y\r\n\"c,d\",\"say \"\"hi\"\"\",1\r\nann,\"two\nlines\",1\r\n")
    }

    @Test("a header-only file and trailing blank lines are handled")
    func edgeCases() throws {
        let empty = try CSVRecords(bytes: Array("a,b\n".utf8), fileName: "e.csv")
        #expect(empty.rowCount == 0)
        #expect(String(decoding: empty.csv(rows: []), as: UTF8.self) == "a,b\n")
        let trailing = try CSVRecords(bytes: Array("a,b\n1,2\n\n\n".utf8), fileName: "t.csv")
        #expect(trailing.rowCount == 1)
        #expect(trailing.recordText(0) == "1,2")
        let lonelyCR = try CSVRecords(bytes: Array("a,b\r1,2\r3,4".utf8), fileName: "c.csv")
        #expect(lonelyCR.rowCount == 2)
        #expect(lonelyCR.recordText(1) == "3,4")
    }

    @Test("each site's file is the header plus its rows, and the files together hold the table")
    func writeSiteFiles() throws {
        let source = PackagePaths.datasets.appendingPathComponent("breast_cancer_wdbc.csv")
        let table = try CSVTable(contentsOf: source)
        let records = try CSVRecords(contentsOf: source)
        #expect(records.rowCount == table.rowCount)
        var generator = SplitMix64(seed: 5)
        let partition = try Partitioner.dirichlet(sites: 4, alpha: 1).partition(
            table, labelColumn: "malignant", using: &generator)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let urls = try partition.writeFiles(from: records, to: folder)
        #expect(urls.map(\.lastPathComponent) == ["site-1.csv", "site-2.csv", "site-3.csv", "site-4.csv"])

        let original = try String(contentsOf: source, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
        var seen: [Substring] = []
        for (site, url) in urls.enumerated() {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.first == original.first)
            #expect(Array(lines.dropFirst()) == partition.rows[site].map { original[$0 + 1] })
            seen += lines.dropFirst()
            let reread = try CSVTable(contentsOf: url)
            #expect(reread.rowCount == partition.rows[site].count)
        }
        #expect(seen.sorted() == original.dropFirst().sorted())
    }

    @Test("site names become safe, distinct file names")
    func fileNames() {
        let partition = SitePartition(siteNames: ["St Mary's", "a/b", "", ".hidden", "St_Mary_s"], rows: [[], [], [], [], []])
        #expect(partition.fileNames == ["St_Mary_s.csv", "a_b.csv", "site-3.csv", "site-4_.hidden.csv", "site-5_St_Mary_s.csv"])
    }

    @Test("a partition of another table is refused before anything is written")
    func foreignRows() throws {
        let records = try CSVRecords(bytes: Array("a\n1\n2\n".utf8), fileName: "small.csv")
        let partition = SitePartition(siteNames: ["x"], rows: [[0, 5]])
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(throws: PartitionError.self) { try partition.writeFiles(from: records, to: folder) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }
}
