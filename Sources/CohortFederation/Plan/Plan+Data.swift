import CohortData
import CohortTensor
import Foundation

extension Plan {
    /// One site of a plan that lists its sites: a name and the CSV file it holds.
    public struct Site: Sendable, Hashable, Codable {
        /// The site's name: letters, digits, `.`, `_` and `-`, starting with a letter or
        /// digit (it names certificates, ledgers and files).
        public var name: String
        /// The site's CSV file, for `cohort simulate`. A real federation's plan may leave it
        /// out: the data stays at the site, and the orchestrator never reads this path.
        public var data: FilePath?

        /// A site called `name` holding `data`.
        public init(name: String, data: FilePath?) {
            self.name = name
            self.data = data
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case name, data }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            name = try fields.required("name")
            data = try fields.optional("data")
        }
    }

    /// How one CSV is split into simulated sites: a `Partitioner` and its settings.
    ///
    /// ```yaml
    /// partition: {kind: dirichlet, sites: 10, alpha: 0.3, min_rows: 20, seed: 7}
    /// ```
    public struct Partition: Sendable, Hashable, Codable {
        /// The method: `.iid(sites:)`, `.dirichlet(sites:alpha:)` or `.byColumn(name:)`.
        public var method: Partitioner
        /// The fewest rows any site may get (`min_rows`, default 1); fewer is an error
        /// naming the site.
        public var minimumRows: Int
        /// The seed of the partition's own generator (`seed`); nil: the plan's seed. Lets a
        /// plan draw another Dirichlet partition without changing anything else.
        public var seed: UInt64?

        /// A partition by `method`.
        public init(method: Partitioner, minimumRows: Int = 1, seed: UInt64? = nil) {
            self.method = method
            self.minimumRows = minimumRows
            self.seed = seed
        }

        /// The word for each method in `kind`.
        public enum Kind: String, Sendable, CaseIterable {
            case iid, dirichlet, column
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, sites, alpha, column
            case minimumRows = "min_rows"
            case seed
        }

        public init(from decoder: any Decoder) throws {
            let fields = try PlanFields(decoder, known: CodingKeys.allCases.map(\.rawValue))
            guard let kind = try fields.word("kind", as: Kind.self) else {
                throw PlanError(.missingField, field: fields.field("kind"), "required, but missing (iid, dirichlet or column)")
            }
            switch kind {
            case .iid:
                try fields.rejectIfPresent("alpha", "applies only to kind dirichlet")
                try fields.rejectIfPresent("column", "applies only to kind column")
                method = .iid(sites: try fields.required("sites"))
            case .dirichlet:
                try fields.rejectIfPresent("column", "applies only to kind column")
                method = .dirichlet(sites: try fields.required("sites"), alpha: try fields.required("alpha"))
            case .column:
                try fields.rejectIfPresent("sites", "does not apply to kind column: there is one site per distinct value")
                try fields.rejectIfPresent("alpha", "applies only to kind dirichlet")
                method = .byColumn(name: try fields.required("column"))
            }
            minimumRows = try fields.optional("min_rows") ?? 1
            seed = try fields.optional("seed")
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch method {
            case .iid(let sites):
                try container.encode(Kind.iid.rawValue, forKey: .kind)
                try container.encode(sites, forKey: .sites)
            case .dirichlet(let sites, let alpha):
                try container.encode(Kind.dirichlet.rawValue, forKey: .kind)
                try container.encode(sites, forKey: .sites)
                try container.encode(alpha, forKey: .alpha)
            case .byColumn(let name):
                try container.encode(Kind.column.rawValue, forKey: .kind)
                try container.encode(name, forKey: .column)
            }
            try container.encode(minimumRows, forKey: .minimumRows)
            try container.encodeIfPresent(seed, forKey: .seed)
        }

        /// The number of sites, when the plan fixes it (not for `column`).
        public var siteCount: Int? {
            switch method {
            case .iid(let sites), .dirichlet(let sites, _): sites
            case .byColumn: nil
            }
        }

        /// Splits `table` into sites with a `SeededGenerator` seeded from `seed`, else from
        /// `planSeed`; `label` names the label column (used by Dirichlet).
        ///
        /// - Throws: `PartitionError`, e.g. naming a site that got no rows.
        public func apply(
            to table: CSVTable, label: String, planSeed: UInt64
        ) throws(PartitionError) -> SitePartition {
            var generator = SeededGenerator(seed: seed ?? planSeed)
            return try method.partition(table, labelColumn: label, minimumRowsPerSite: minimumRows, using: &generator)
        }
    }

    /// Where a plan's data comes from: one CSV per site, or one CSV split into sites.
    public enum DataSource: Sendable, Hashable {
        /// `sites: [{name, data}, …]`.
        case sites([Site])
        /// `data: FILE.csv` with `partition: {…}`.
        case partitioned(file: FilePath, partition: Partition)

        /// The number of sites, when the plan fixes it.
        public var siteCount: Int? {
            switch self {
            case .sites(let sites): sites.count
            case .partitioned(_, let partition): partition.siteCount
            }
        }

        /// Every data file the plan names, with the field that names it.
        public var files: [(field: String, file: FilePath)] {
            switch self {
            case .sites(let sites):
                sites.enumerated().compactMap { index, site in site.data.map { ("sites[\(index)].data", $0) } }
            case .partitioned(let file, _): [("data", file)]
            }
        }
    }
}
