import Foundation

/// The rows of one table divided among named sites: what a `Partitioner` produces.
///
/// `rows[i]` are the row indices (0-based, ascending) of the site called `siteNames[i]`;
/// every row of the table is in exactly one site. Take a site's data with
/// `ValidatedTable.selecting(rows:)`, or write every site's rows to a CSV file of its own
/// with `writeFiles(from:to:)`, as a real federation would hold them.
public struct SitePartition: Sendable, Hashable {
    /// The sites' names, in order: `site-1` … for IID and Dirichlet, the column's values for
    /// `byColumn`.
    public let siteNames: [String]
    /// Each site's row indices, ascending.
    public let rows: [[Int]]

    /// A partition from its parts; the two arrays must have the same length and the names
    /// must be distinct.
    public init(siteNames: [String], rows: [[Int]]) {
        precondition(siteNames.count == rows.count, "\(siteNames.count) site names for \(rows.count) sites")
        precondition(Set(siteNames).count == siteNames.count, "site names must be distinct: \(siteNames)")
        self.siteNames = siteNames
        self.rows = rows
    }

    /// The number of sites.
    public var siteCount: Int { siteNames.count }

    /// The number of rows over all sites.
    public var rowCount: Int { rows.reduce(0) { $0 + $1.count } }

    /// The rows of the site called `name`, or nil when there is no such site.
    public func rows(ofSite name: String) -> [Int]? {
        siteNames.firstIndex(of: name).map { rows[$0] }
    }

    /// The file name for each site's CSV: the site's name with every character other than
    /// ASCII letters, digits, `.`, `-` and `_` replaced by `_`, then `.csv`; a name that
    /// would be empty, start with a dot or repeat an earlier one gets `site-N` (its 1-based
    /// position) in front.
    public var fileNames: [String] {
        var seen = Set<String>()
        return siteNames.enumerated().map { position, name in
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
            var stem = String(name.map { allowed.contains($0) ? $0 : "_" })
            if stem.isEmpty || stem.hasPrefix(".") || seen.contains(stem.lowercased()) {
                stem = "site-\(position + 1)" + (stem.isEmpty ? "" : "_" + stem)
            }
            seen.insert(stem.lowercased())
            return stem + ".csv"
        }
    }

    /// Writes each site's rows of `records` to `directory/fileNames[i]`, creating the folder
    /// when needed: the original header, then the site's records exactly as the source file
    /// wrote them, in row order. Returns the files' URLs in site order.
    ///
    /// - Throws: `PartitionError` `.invalidParameter` when a row is outside `records` (the
    ///   partition was made from another table), `.unwritableFile` naming the file that
    ///   could not be written.
    @discardableResult
    public func writeFiles(from records: CSVRecords, to directory: URL) throws(PartitionError) -> [URL] {
        if let bad = rows.joined().first(where: { $0 < 0 || $0 >= records.rowCount }) {
            throw PartitionError(
                .invalidParameter,
                "row \(bad) is outside the \(records.rowCount) rows of \(records.fileName); was the partition made from another file?")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PartitionError(.unwritableFile, "cannot create the folder \(directory.path): \(error.localizedDescription)")
        }
        var urls: [URL] = []
        for (site, fileName) in fileNames.enumerated() {
            let url = directory.appendingPathComponent(fileName)
            do {
                try Data(records.csv(rows: rows[site])).write(to: url)
            } catch {
                throw PartitionError(
                    .unwritableFile, "cannot write \(url.path) for site \(siteNames[site]): \(error.localizedDescription)",
                    site: siteNames[site])
            }
            urls.append(url)
        }
        return urls
    }
}
