/// How one table is divided among simulated sites, so that a single CSV can stand in for a
/// federation of hospitals.
///
/// - `iid(sites:)`: the rows are shuffled and dealt out in equal shares; the site sizes
///   differ by at most one row, and every site's label mix is the table's, up to sampling.
/// - `dirichlet(sites:alpha:)`: label skew. For each class c, a share vector
///   p_c ~ Dir(α·1_K) over the K sites is drawn and the class's shuffled rows are divided in
///   those proportions (largest-remainder rounding). A large α (100 and above) gives nearly
///   IID sites, α = 1 clearly unequal mixes, α ≤ 0.1 sites that hold mostly one class.
///   This is the label-skew partition of Yurochkin et al. ("Bayesian Nonparametric Federated
///   Learning of Neural Networks", ICML 2019) and of Li, Diao, Chen and He's NIID-Bench
///   ("Federated Learning on Non-IID Data Silos: An Experimental Study", ICDE 2022, §4.1);
///   Hsu, Qi and Brown ("Measuring the Effects of Non-Identical Data Distribution for
///   Federated Visual Classification", 2019, §3) use the transposed draw, a class mix
///   q ~ Dir(α·p) for each site. Both give the same qualitative control by α. Unlike
///   NIID-Bench, a partition that leaves a site too small is an error, not redrawn, because
///   redrawing until every site is large enough changes the distribution being simulated.
/// - `byColumn(name:)`: one site per distinct value of the column (e.g. a `hospital`
///   column), named by the value, in `Schema.sortedValues` order. The column says where a
///   row came from, not anything about the patient, so the caller must keep it out of the
///   features (mark it `ignore` in the schema, or drop it).
///
/// Every partition is deterministic for a given table and generator state, and gives each
/// site at least `minimumRowsPerSite` rows (1 by default) or throws a `PartitionError` that
/// names the first site that falls short. Row indices within each site are ascending, ready
/// for `ValidatedTable.selecting(rows:)` or `SitePartition.writeFiles(from:to:)`.
public enum Partitioner: Sendable, Hashable, CustomStringConvertible {
    /// Equal random shares over `sites` sites.
    case iid(sites: Int)
    /// Label skew with Dirichlet concentration `alpha` over `sites` sites.
    case dirichlet(sites: Int, alpha: Double)
    /// One site per distinct value of the column `name`.
    case byColumn(name: String)

    /// How the partition reads in messages: `IID over 5 sites`, `Dirichlet(0.3) over 10
    /// sites`, `by column "hospital"`.
    public var description: String {
        switch self {
        case .iid(let sites): "IID over \(sites) site\(sites == 1 ? "" : "s")"
        case .dirichlet(let sites, let alpha): "Dirichlet(\(alpha)) over \(sites) site\(sites == 1 ? "" : "s")"
        case .byColumn(let name): "by column \"\(name)\""
        }
    }

    /// The name of the site at `index` (0-based) of an IID or Dirichlet partition: `site-1`, `site-2`, ….
    public static func siteName(_ index: Int) -> String { "site-\(index + 1)" }

    /// Checks the parameters alone: at least one site, α finite and above 0, a column name.
    public func validate() throws(PartitionError) {
        switch self {
        case .iid(let sites), .dirichlet(let sites, _):
            guard sites >= 1 else {
                throw PartitionError(.invalidParameter, "a partition needs at least 1 site, got \(sites)")
            }
            if case .dirichlet(_, let alpha) = self, !(alpha > 0 && alpha.isFinite) {
                throw PartitionError(.invalidParameter, "the Dirichlet alpha must be finite and greater than 0, got \(alpha)")
            }
        case .byColumn(let name):
            guard !name.isEmpty else {
                throw PartitionError(.invalidParameter, "partitioning by column needs a column name")
            }
        }
    }

    /// Partitions rows whose class indices are `labels` (any integers; only equality
    /// matters). Row i of the result's sites is row i of `labels`.
    ///
    /// - Throws: `PartitionError` `.invalidParameter` for bad parameters or for `byColumn`
    ///   (which needs the table: use `partition(_:labelColumn:minimumRowsPerSite:using:)`),
    ///   `.siteTooSmall` naming the first site with fewer than `minimumRowsPerSite` rows.
    public func partition(
        labels: [Int], minimumRowsPerSite: Int = 1, using generator: inout some RandomNumberGenerator
    ) throws(PartitionError) -> SitePartition {
        try validate()
        try Self.checkMinimum(minimumRowsPerSite)
        switch self {
        case .iid(let sites):
            return try iid(rowCount: labels.count, sites: sites, minimum: minimumRowsPerSite, using: &generator)
        case .dirichlet(let sites, let alpha):
            return try dirichlet(labels: labels, sites: sites, alpha: alpha, minimum: minimumRowsPerSite, using: &generator)
        case .byColumn(let name):
            throw PartitionError(
                .invalidParameter, "partitioning by column \"\(name)\" needs the table's text, not only its labels")
        }
    }

    /// Partitions the rows of `table`. A Dirichlet partition reads classes from the text
    /// of `labelColumn` (required for it, ignored otherwise); `byColumn` reads the groups
    /// from its column.
    ///
    /// - Throws: `PartitionError` as `partition(labels:minimumRowsPerSite:using:)`, plus
    ///   `.missingColumn` when a named column is not in the table and `.missingValue`, with
    ///   the file and line, when a row has no label or no group.
    public func partition(
        _ table: CSVTable, labelColumn: String? = nil, minimumRowsPerSite: Int = 1,
        using generator: inout some RandomNumberGenerator
    ) throws(PartitionError) -> SitePartition {
        try validate()
        try Self.checkMinimum(minimumRowsPerSite)
        switch self {
        case .iid(let sites):
            return try iid(rowCount: table.rowCount, sites: sites, minimum: minimumRowsPerSite, using: &generator)
        case .dirichlet(let sites, let alpha):
            guard let labelColumn else {
                throw PartitionError(.missingColumn, "a Dirichlet partition of \(table.fileName) needs the label column's name")
            }
            let texts = try Self.values(of: labelColumn, in: table, purpose: "a label")
            let classes = Schema.sortedValues(texts)
            var index: [String: Int] = [:]
            for (position, value) in classes.enumerated() { index[value] = position }
            let labels = texts.map { index[$0] ?? 0 }
            return try dirichlet(labels: labels, sites: sites, alpha: alpha, minimum: minimumRowsPerSite, using: &generator)
        case .byColumn(let name):
            return try byColumn(table, column: name, minimum: minimumRowsPerSite)
        }
    }

    // MARK: - The three methods

    private func iid(
        rowCount: Int, sites: Int, minimum: Int, using generator: inout some RandomNumberGenerator
    ) throws(PartitionError) -> SitePartition {
        let smallest = rowCount / sites
        if smallest < minimum {
            // Sites 0..<(rowCount % sites) get one row more, so the last site is a smallest one.
            throw Self.tooSmall(site: sites - 1, got: smallest, minimum: minimum, by: self, advice: "lower sites")
        }
        var order = Array(0..<rowCount)
        StratifiedSplit.shuffle(&order, using: &generator)
        var rows: [[Int]] = []
        var start = 0
        for site in 0..<sites {
            let size = smallest + (site < rowCount % sites ? 1 : 0)
            rows.append(order[start..<(start + size)].sorted())
            start += size
        }
        return SitePartition(siteNames: (0..<sites).map(Self.siteName), rows: rows)
    }

    private func dirichlet(
        labels: [Int], sites: Int, alpha: Double, minimum: Int, using generator: inout some RandomNumberGenerator
    ) throws(PartitionError) -> SitePartition {
        var rowsByClass: [Int: [Int]] = [:]
        for (row, label) in labels.enumerated() { rowsByClass[label, default: []].append(row) }
        let prior = DirichletDistribution(symmetric: alpha, count: sites)
        var rows = [[Int]](repeating: [], count: sites)
        for label in rowsByClass.keys.sorted() {
            guard var classRows = rowsByClass[label] else { continue }
            StratifiedSplit.shuffle(&classRows, using: &generator)
            let shares = prior.sample(using: &generator)
            let counts = StratifiedSplit.apportion(classRows.count, shares)
            var start = 0
            for site in 0..<sites {
                rows[site] += classRows[start..<(start + counts[site])]
                start += counts[site]
            }
        }
        if let site = rows.firstIndex(where: { $0.count < minimum }) {
            throw Self.tooSmall(
                site: site, got: rows[site].count, minimum: minimum, by: self, advice: "raise alpha or lower sites")
        }
        return SitePartition(siteNames: (0..<sites).map(Self.siteName), rows: rows.map { $0.sorted() })
    }

    private func byColumn(_ table: CSVTable, column: String, minimum: Int) throws(PartitionError) -> SitePartition {
        let values = try Self.values(of: column, in: table, purpose: "a site")
        let names = Schema.sortedValues(values)
        var site: [String: Int] = [:]
        for (position, name) in names.enumerated() { site[name] = position }
        var rows = [[Int]](repeating: [], count: names.count)
        for (row, value) in values.enumerated() {
            if let index = site[value] { rows[index].append(row) }
        }
        if let small = rows.firstIndex(where: { $0.count < minimum }) {
            throw PartitionError(
                .siteTooSmall,
                "site \"\(names[small])\" (column \"\(column)\" of \(table.fileName)) has \(rows[small].count) row\(rows[small].count == 1 ? "" : "s"), fewer than the minimum of \(minimum) per site; merge it with another value or lower the minimum",
                site: names[small])
        }
        return SitePartition(siteNames: names, rows: rows)
    }

    // MARK: - Helpers

    private static func checkMinimum(_ minimum: Int) throws(PartitionError) {
        guard minimum >= 1 else {
            throw PartitionError(.invalidParameter, "the minimum rows per site must be at least 1, got \(minimum)")
        }
    }

    private static func tooSmall(site: Int, got: Int, minimum: Int, by partitioner: Partitioner, advice: String) -> PartitionError {
        let what = got == 0 ? "no rows" : "\(got) row\(got == 1 ? "" : "s")"
        let shortfall = got == 0 && minimum == 1 ? "" : ", fewer than the minimum of \(minimum) per site"
        return PartitionError(
            .siteTooSmall, "site \(site + 1) got \(what) with \(partitioner)\(shortfall); \(advice)",
            site: siteName(site))
    }

    /// The text of every row's cell in `column`; a missing cell is an error naming its line.
    private static func values(of column: String, in table: CSVTable, purpose: String) throws(PartitionError) -> [String] {
        guard let index = table.columnIndex(named: column) else {
            throw PartitionError(
                .missingColumn,
                "\(table.fileName) has no column \"\(column)\"; its columns are \(table.columnNames.joined(separator: ", "))")
        }
        var values: [String] = []
        values.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount {
            guard let text = table.text(row: row, column: index) else {
                throw PartitionError(
                    .missingValue,
                    "\(table.fileName):\(table.line(ofRow: row)): column \"\(column)\" is empty; every row needs \(purpose) to be given a site")
            }
            values.append(text)
        }
        return values
    }
}
