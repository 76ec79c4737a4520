import CohortData
import CohortLearn
import CohortPrivacy
import Foundation

/// A plan made ready to run in one process: the engine's configuration, the strategy, and
/// one in-memory site per plan site (or per partition of the plan's single CSV).
public struct Simulation: Sendable {
    public var configuration: FederationConfiguration
    public var strategy: any FederatedStrategy
    public var sites: [InMemorySite]
    /// σ as the plan gave it or as calibrated for its target ε.
    public var noiseMultiplier: Double

    /// Prepares `plan` (already loaded and validated).
    public init(plan: Plan, modelsDirectory: URL, runID: String) throws {
        let definition = try plan.loadModel(modelsDirectory: modelsDirectory)
        // Each site's rows as its own CSV table.
        var tables = [(name: String, table: CSVTable)]()
        switch plan.data {
        case .sites(let sites):
            for (index, site) in sites.enumerated() {
                guard let data = site.data else {
                    throw FederationError("field 'sites[\(index)].data': a simulation needs each site's CSV (\(site.name) has none)")
                }
                tables.append((site.name, try CSVTable(contentsOf: data.url)))
            }
        case .partitioned(let file, let partition):
            let records = try CSVRecords(contentsOf: file.url)
            let table = try CSVTable(contentsOf: file.url)
            let split = try partition.apply(to: table, label: plan.label, planSeed: plan.seed)
            for (index, name) in split.siteNames.enumerated() {
                tables.append((name, try CSVTable(parsing: records.csv(rows: split.rows[index]), fileName: "\(file.path)#\(name)")))
            }
        }
        let schema: Schema
        if let path = plan.schema {
            schema = try Schema(contentsOf: path.url)
        } else {
            schema = try Self.inferSchema(tables.map(\.table), label: plan.label)
        }
        sites = tables.enumerated().map { index, entry in
            InMemorySite(name: entry.name, table: entry.table, holdoutFraction: plan.evaluation.holdout,
                         seed: plan.seed &+ UInt64(index))
        }
        strategy = try plan.strategy.makeStrategy()
        configuration = try FederationConfiguration(
            plan: plan, definition: definition, schema: schema, siteRows: tables.map(\.table.rowCount), runID: runID)
        noiseMultiplier = configuration.privacy.accountedNoiseMultiplier
    }

    static func size(_ perRound: Plan.Sampling.PerRound) -> SiteSampling.Size {
        switch perRound {
        case .all: return .all
        case .count(let n): return .count(n)
        case .fraction(let f): return .fraction(f)
        }
    }

    /// σ as given, or the smallest σ whose ε after `steps` at rate q, composed with
    /// `extra(σ)` when given (a noised preprocessing release), is the target.
    static func noiseMultiplier(
        _ calibration: Plan.Privacy.Calibration?, samplingRate: Double, steps: Int, delta: Double, unit: String,
        alsoSpending extra: ((Double) throws(PrivacyError) -> RDPCurve)? = nil
    ) throws -> Double {
        switch calibration {
        case .noiseMultiplier(let sigma)?:
            return sigma
        case .targetEpsilon(let epsilon)?:
            let budget = try PrivacyBudget(epsilon: epsilon, delta: delta)
            let accountant = RDPAccountant()
            let mechanism: SubsampledGaussian
            if let extra {
                mechanism = try accountant.calibrate(samplingRate: samplingRate, steps: max(steps, 1), budget: budget, alsoSpending: extra)
            } else {
                mechanism = try accountant.calibrate(samplingRate: samplingRate, steps: max(steps, 1), budget: budget)
            }
            return mechanism.noiseMultiplier
        case nil:
            throw FederationError("field 'privacy': give noise_multiplier or target_epsilon (\(unit))")
        }
    }

    /// One schema for all sites: inferred from their rows together (simulation only; a real
    /// federation's plan names its schema).
    static func inferSchema(_ tables: [CSVTable], label: String) throws -> Schema {
        guard let first = tables.first else { throw FederationError("no sites") }
        var text = first.columnNames.map(csvField).joined(separator: ",") + "\n"
        for table in tables {
            guard table.columnNames == first.columnNames else {
                throw FederationError("\(table.fileName): columns differ from \(first.fileName)'s; give the plan a schema")
            }
            for row in 0..<table.rowCount {
                text += (0..<table.columnCount).map { csvField(table.text(row: row, column: $0) ?? "") }.joined(separator: ",") + "\n"
            }
        }
        return try Schema.infer(from: try CSVTable(parsing: text, fileName: "all sites"), label: label)
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
