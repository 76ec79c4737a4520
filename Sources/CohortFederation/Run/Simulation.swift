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
            for site in sites { tables.append((site.name, try CSVTable(contentsOf: site.data.url))) }
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

        if plan.local.schedule != .constant {
            throw FederationError("field 'local.schedule': only 'constant' is supported by the round engine yet")
        }
        let local: LocalWork
        let batchSize = plan.local.batchSize
        switch plan.local.work {
        case .epochs(let epochs):
            local = LocalWork(epochs: epochs, batchSize: batchSize, optimizer: plan.local.optimizerConfiguration,
                              learningRate: Float(plan.local.learningRate))
        case .steps(let steps):
            local = LocalWork(steps: steps, batchSize: batchSize, optimizer: plan.local.optimizerConfiguration,
                              learningRate: Float(plan.local.learningRate))
        }

        let p = plan.privacy
        if p.adaptiveClipping != nil {
            throw FederationError("field 'privacy.adaptive_clipping': not supported by the round engine yet")
        }
        if p.noisePreprocessing {
            throw FederationError("field 'privacy.noise_preprocessing': not supported yet; the statistics are released outside ε and the run record says so")
        }
        let noiseSeed: UInt64? = p.noise == .seeded ? plan.seed : nil
        var sigma = 0.0
        var privacy = TaskPrivacy()
        switch p.unit {
        case .none:
            privacy = TaskPrivacy(unit: .none, deltaClipNorm: p.deltaClip.map(Float.init))
        case .record:
            // The worst site has the fewest training rows: the largest q = batch / rows.
            // Stratified rounding can leave a site a row short per class: assume the fewest.
            let classes = max(schema.label.classes.count, 1)
            let trainingRows = tables.map { Int(Double($0.table.rowCount) * (1 - plan.evaluation.holdout)) - classes }
            let smallest = max(trainingRows.min() ?? 1, 1)
            let q = min(1, Double(batchSize) / Double(smallest))
            let stepsPerRound: Int
            switch plan.local.work {
            case .epochs(let epochs): stepsPerRound = epochs * ((smallest + batchSize - 1) / batchSize)
            case .steps(let steps): stepsPerRound = steps
            }
            sigma = try Self.noiseMultiplier(p.calibration, samplingRate: q, steps: stepsPerRound * plan.rounds, delta: p.delta,
                                             unit: "per patient record at the smallest site")
            privacy = TaskPrivacy(unit: .record, exampleClipNorm: Float(p.clip), deltaClipNorm: p.deltaClip.map(Float.init),
                                  noiseMultiplier: sigma, noiseSeed: noiseSeed, delta: p.delta, siteBudgetEpsilon: p.budgetEpsilon)
        case .site:
            let sampled = SiteSampling(size: Self.size(plan.sampling.perRound), minimum: plan.sampling.minimum).count(of: tables.count)
            sigma = try Self.noiseMultiplier(p.calibration, samplingRate: Double(sampled) / Double(tables.count),
                                             steps: plan.rounds, delta: p.delta, unit: "per site")
            privacy = TaskPrivacy(unit: .site, deltaClipNorm: Float(p.clip), noiseMultiplier: sigma, noiseSeed: noiseSeed, delta: p.delta)
        }
        noiseMultiplier = sigma
        configuration = FederationConfiguration(
            runID: runID, definition: definition, schema: schema, rounds: plan.rounds,
            sampling: SiteSampling(size: Self.size(plan.sampling.perRound), minimum: plan.sampling.minimum),
            local: local, privacy: privacy, runBudgetEpsilon: p.unit == .site ? p.budgetEpsilon : nil,
            evaluateEvery: plan.evaluation.every, minimumEvaluationRecords: plan.evaluation.minimumRecords,
            seed: plan.seed, deadlineSeconds: plan.sampling.deadlineSeconds)
    }

    static func size(_ perRound: Plan.Sampling.PerRound) -> SiteSampling.Size {
        switch perRound {
        case .all: return .all
        case .count(let n): return .count(n)
        case .fraction(let f): return .fraction(f)
        }
    }

    /// σ as given, or the smallest σ whose ε after `steps` at rate q is the target.
    static func noiseMultiplier(
        _ calibration: Plan.Privacy.Calibration?, samplingRate: Double, steps: Int, delta: Double, unit: String
    ) throws -> Double {
        switch calibration {
        case .noiseMultiplier(let sigma)?:
            return sigma
        case .targetEpsilon(let epsilon)?:
            let mechanism = try RDPAccountant().calibrate(
                samplingRate: samplingRate, steps: max(steps, 1), budget: try PrivacyBudget(epsilon: epsilon, delta: delta))
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
