import CohortData
import Foundation
import Testing

@Suite("Partitioners")
struct PartitionerTests {
    /// 3 classes of 400, 250 and 150 rows, shuffled.
    static let labels: [Int] = {
        var labels = [Int](repeating: 0, count: 400) + [Int](repeating: 1, count: 250) + [Int](repeating: 2, count: 150)
        var generator = SplitMix64(seed: 11)
        labels.shuffle(using: &generator)
        return labels
    }()

    /// Checks that the sites are disjoint, cover every row once, and are each ascending.
    func expectDisjointAndCovering(_ partition: SitePartition, rowCount: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Array(partition.rows.joined()).sorted() == Array(0..<rowCount), sourceLocation: sourceLocation)
        for rows in partition.rows { #expect(rows == rows.sorted(), sourceLocation: sourceLocation) }
    }

    /// Each site's class shares, and the whole table's.
    func classShares(_ partition: SitePartition, labels: [Int], classes: Int) -> (sites: [[Double]], overall: [Double]) {
        let overall = (0..<classes).map { c in Double(labels.filter { $0 == c }.count) / Double(labels.count) }
        let sites = partition.rows.map { rows in
            (0..<classes).map { c in Double(rows.filter { labels[$0] == c }.count) / Double(rows.count) }
        }
        return (sites, overall)
    }

    /// The mean over sites of the total-variation distance between a site's label mix and the table's.
    func meanTotalVariation(_ partition: SitePartition, labels: [Int], classes: Int) -> Double {
        let (sites, overall) = classShares(partition, labels: labels, classes: classes)
        let distances = sites.map { shares in 0.5 * zip(shares, overall).reduce(0) { $0 + abs($1.0 - $1.1) } }
        return distances.reduce(0, +) / Double(distances.count)
    }

    @Test("IID sites differ in size by at most one row, are disjoint and cover the table",
          arguments: [(800, 7), (103, 10), (12, 12), (800, 1)])
    func iidBalanced(rowCount: Int, sites: Int) throws {
        var generator = SplitMix64(seed: 3)
        let partition = try Partitioner.iid(sites: sites).partition(
            labels: [Int](repeating: 0, count: rowCount), using: &generator)
        #expect(partition.siteCount == sites)
        #expect(partition.siteNames == (1...sites).map { "site-\($0)" })
        let sizes = partition.rows.map(\.count)
        #expect((sizes.max() ?? 0) - (sizes.min() ?? 0) <= 1)
        #expect(sizes.allSatisfy { $0 == rowCount / sites || $0 == rowCount / sites + 1 })
        expectDisjointAndCovering(partition, rowCount: rowCount)
    }

    @Test("IID rows are shuffled, not dealt out in file order")
    func iidShuffles() throws {
        var generator = SplitMix64(seed: 3)
        let partition = try Partitioner.iid(sites: 4).partition(labels: Self.labels, using: &generator)
        #expect(partition.rows[0] != Array(0..<200))
        // Each site's label mix is close to the table's (sampling error only).
        #expect(meanTotalVariation(partition, labels: Self.labels, classes: 3) < 0.06)
    }

    @Test("Dirichlet with a large alpha gives nearly the table's label mix at every site")
    func dirichletLargeAlphaIsNearlyIID() throws {
        var generator = SplitMix64(seed: 4)
        let partition = try Partitioner.dirichlet(sites: 5, alpha: 1000).partition(labels: Self.labels, using: &generator)
        expectDisjointAndCovering(partition, rowCount: Self.labels.count)
        let (sites, overall) = classShares(partition, labels: Self.labels, classes: 3)
        for shares in sites {
            for c in 0..<3 { #expect(abs(shares[c] - overall[c]) < 0.04, "class \(c): \(shares[c]) vs \(overall[c])") }
        }
        let sizes = partition.rows.map(\.count)
        #expect(sizes.allSatisfy { abs($0 - 160) < 20 }, "\(sizes)")
    }

    @Test("Dirichlet skew grows as alpha falls")
    func dirichletSmallAlphaIsSkewed() throws {
        func skew(_ alpha: Double, seed: UInt64) throws -> Double {
            var generator = SplitMix64(seed: seed)
            let partition = try Partitioner.dirichlet(sites: 4, alpha: alpha).partition(labels: Self.labels, using: &generator)
            expectDisjointAndCovering(partition, rowCount: Self.labels.count)
            return meanTotalVariation(partition, labels: Self.labels, classes: 3)
        }
        // Averaged over seeds so one lucky draw cannot decide the test.
        let seeds: [UInt64] = [1, 2, 3, 4, 5, 6, 7, 8]
        let large = try seeds.map { try skew(1000, seed: $0) }.reduce(0, +) / 8
        let one = try seeds.map { try skew(1, seed: $0) }.reduce(0, +) / 8
        let small = try seeds.map { try skew(0.1, seed: $0) }.reduce(0, +) / 8
        #expect(large < 0.03, "α = 1000: mean TV distance \(large)")
        #expect(one > 0.15, "α = 1: mean TV distance \(one)")
        #expect(small > 0.35, "α = 0.1: mean TV distance \(small)")
        #expect(large < one && one < small)
    }

    @Test("the same seed gives the same partition, another seed another",
          arguments: [Partitioner.iid(sites: 6), .dirichlet(sites: 6, alpha: 0.5)])
    func deterministic(partitioner: Partitioner) throws {
        var first = SplitMix64(seed: 21)
        var second = SplitMix64(seed: 21)
        var other = SplitMix64(seed: 22)
        let a = try partitioner.partition(labels: Self.labels, using: &first)
        let b = try partitioner.partition(labels: Self.labels, using: &second)
        let c = try partitioner.partition(labels: Self.labels, using: &other)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("by column: one site per value, holding exactly that value's rows, in value order")
    func byColumnGroupsExactly() throws {
        let text = "hospital,age,y\n10,50,1\n2,40,0\n7,30,1\n2,41,1\n10,52,0\n"
        let table = try CSVTable(parsing: text, fileName: "groups.csv")
        var generator = SplitMix64(seed: 1)
        let partition = try Partitioner.byColumn(name: "hospital").partition(table, using: &generator)
        // All values are numbers, so they sort by value: 2 before 10.
        #expect(partition.siteNames == ["2", "7", "10"])
        #expect(partition.rows == [[1, 3], [2], [0, 4]])
        #expect(partition.rows(ofSite: "10") == [0, 4])
        #expect(partition.rows(ofSite: "11") == nil)

        let named = try CSVTable(parsing: "hospital,y\nwest,0\neast,1\nwest,1\n", fileName: "named.csv")
        let byName = try Partitioner.byColumn(name: "hospital").partition(named, using: &generator)
        #expect(byName.siteNames == ["east", "west"])
        #expect(byName.rows == [[1], [0, 2]])
    }

    @Test("Dirichlet over a CSV reads the classes from the label column's text")
    func dirichletFromTable() throws {
        let table = try CSVTable(contentsOf: PackagePaths.datasets.appendingPathComponent("breast_cancer_wdbc.csv"))
        // With two classes, Dirichlet(0.3) over 10 sites leaves some site with under 5 rows
        // for about half of all seeds; those draws must fail as `.siteTooSmall`, and the
        // first seed that succeeds must give a proper partition.
        func attempt(seed: UInt64) -> Result<SitePartition, PartitionError> {
            var generator = SplitMix64(seed: seed)
            return Result { () throws(PartitionError) in
                try Partitioner.dirichlet(sites: 10, alpha: 0.3).partition(
                    table, labelColumn: "malignant", minimumRowsPerSite: 5, using: &generator)
            }
        }
        let attempts = (UInt64(0)..<40).map(attempt)
        var found: SitePartition?
        for result in attempts {
            switch result {
            case .success(let partition): found = found ?? partition
            case .failure(let error): #expect(error.code == .siteTooSmall)
            }
        }
        let partition = try #require(found)
        #expect(partition.siteCount == 10)
        #expect(partition.rows.allSatisfy { $0.count >= 5 })
        expectDisjointAndCovering(partition, rowCount: table.rowCount)
    }
}

@Suite("Partitioner errors")
struct PartitionerErrorTests {
    func error(_ body: () throws -> Void) -> PartitionError? {
        do {
            try body()
            Issue.record("expected a PartitionError, nothing was thrown")
        } catch let error as PartitionError {
            return error
        } catch {
            Issue.record("expected a PartitionError, got \(error)")
        }
        return nil
    }

    @Test("bad parameters are refused, naming the parameter",
          arguments: [(Partitioner.iid(sites: 0), "at least 1 site"),
                      (.dirichlet(sites: 3, alpha: 0), "alpha"),
                      (.dirichlet(sites: 3, alpha: -1), "alpha"),
                      (.dirichlet(sites: 3, alpha: .infinity), "alpha"),
                      (.dirichlet(sites: -2, alpha: 1), "at least 1 site"),
                      (.byColumn(name: ""), "column name")])
    func badParameters(partitioner: Partitioner, expected: String) {
        var generator = SplitMix64(seed: 1)
        let error = error { _ = try partitioner.partition(labels: [0, 1, 0, 1], using: &generator) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }

    @Test("a minimum below 1 is refused")
    func minimumBelowOne() {
        var generator = SplitMix64(seed: 1)
        let error = error { _ = try Partitioner.iid(sites: 2).partition(labels: [0, 1], minimumRowsPerSite: 0, using: &generator) }
        #expect(error?.code == .invalidParameter)
        #expect(error?.message.contains("minimum rows per site") == true)
    }

    @Test("IID over more sites than rows names the empty site")
    func iidTooManySites() {
        var generator = SplitMix64(seed: 1)
        let error = error { _ = try Partitioner.iid(sites: 7).partition(labels: [0, 1, 0, 1, 1], using: &generator) }
        #expect(error?.code == .siteTooSmall)
        #expect(error?.site == "site-7")
        #expect(error?.message == "site 7 got no rows with IID over 7 sites; lower sites")
    }

    @Test("IID below the minimum per site names the site and the minimum")
    func iidBelowMinimum() {
        var generator = SplitMix64(seed: 1)
        let error = error {
            _ = try Partitioner.iid(sites: 4).partition(labels: [Int](repeating: 0, count: 38), minimumRowsPerSite: 10, using: &generator)
        }
        #expect(error?.message == "site 4 got 9 rows with IID over 4 sites, fewer than the minimum of 10 per site; lower sites")
    }

    @Test("Dirichlet with a tiny alpha over many sites names a site left empty")
    func dirichletEmptySite() {
        var generator = SplitMix64(seed: 1)
        let labels = [Int](repeating: 0, count: 30) + [Int](repeating: 1, count: 30)
        let error = error { _ = try Partitioner.dirichlet(sites: 20, alpha: 0.05).partition(labels: labels, using: &generator) }
        #expect(error?.code == .siteTooSmall)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("site "))
        #expect(message.contains("got no rows with Dirichlet(0.05) over 20 sites; raise alpha or lower sites"), "\(message)")
        if let site = error?.site, let number = Int(site.dropFirst(5)) {
            #expect(message.hasPrefix("site \(number) "))
        } else {
            Issue.record("the error names no site: \(String(describing: error))")
        }
    }

    @Test("a Dirichlet partition of a table needs the label column, and it must exist")
    func dirichletLabelColumn() throws {
        let table = try CSVTable(parsing: "x,y\n1,0\n2,1\n", fileName: "t.csv")
        var generator = SplitMix64(seed: 1)
        let missing = error { _ = try Partitioner.dirichlet(sites: 2, alpha: 1).partition(table, using: &generator) }
        #expect(missing?.code == .missingColumn)
        let wrong = error {
            _ = try Partitioner.dirichlet(sites: 2, alpha: 1).partition(table, labelColumn: "target", using: &generator)
        }
        #expect(wrong?.code == .missingColumn)
        #expect(wrong?.message == "t.csv has no column \"target\"; its columns are x, y")
    }

    @Test("by column: a missing column, an empty cell and a small group are errors that say where")
    func byColumnErrors() throws {
        var generator = SplitMix64(seed: 1)
        let table = try CSVTable(parsing: "site,y\na,0\na,1\nb,1\n,0\n", fileName: "s.csv")
        let noColumn = error { _ = try Partitioner.byColumn(name: "hospital").partition(table, using: &generator) }
        #expect(noColumn?.code == .missingColumn)
        let empty = error { _ = try Partitioner.byColumn(name: "site").partition(table, using: &generator) }
        #expect(empty?.code == .missingValue)
        #expect(empty?.message.hasPrefix("s.csv:5: column \"site\" is empty") == true, "\(empty?.message ?? "")")

        let complete = try CSVTable(parsing: "site,y\na,0\na,1\nb,1\n", fileName: "s.csv")
        let small = error {
            _ = try Partitioner.byColumn(name: "site").partition(complete, minimumRowsPerSite: 2, using: &generator)
        }
        #expect(small?.code == .siteTooSmall)
        #expect(small?.site == "b")
        #expect(small?.message.contains("site \"b\"") == true)
        let labelsOnly = error { _ = try Partitioner.byColumn(name: "site").partition(labels: [0, 1], using: &generator) }
        #expect(labelsOnly?.code == .invalidParameter)
    }
}
