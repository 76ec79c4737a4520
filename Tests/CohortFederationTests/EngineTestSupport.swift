import CohortData
import CohortLearn
import CohortTensor
import Foundation
@testable import CohortFederation

enum EngineFixtures {
    static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    static func csv(_ name: String) -> URL { packageRoot.appendingPathComponent("Datasets/\(name).csv") }

    /// The bundled CSV's rows dealt out to `count` sites after a seeded shuffle (IID), each
    /// site's rows as a CSV table of its own.
    static func iidSites(_ name: String, count: Int, seed: UInt64 = 0) throws -> [CSVTable] {
        let text = try String(contentsOf: csv(name), encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let header = lines.removeFirst()
        var generator = SeededGenerator(seed: seed)
        lines.shuffle(using: &generator)
        return try (0..<count).map { site in
            let rows = stride(from: site, to: lines.count, by: count).map { lines[$0] }
            return try CSVTable(parsing: ([header] + rows).joined(separator: "\n") + "\n", fileName: "site\(site).csv")
        }
    }

    static func schema(_ name: String) throws -> Schema {
        try Schema(contentsOf: packageRoot.appendingPathComponent("Datasets/\(name).schema.json"))
    }

    static func definition(_ yaml: String) throws -> ModelDefinition {
        try ModelDefinition.parse(yaml: yaml, source: "test")
    }

    static let logisticRegression = "name: lr\nlayers: [{dense: output}]\n"
}

/// A site that misbehaves in a chosen way, for the engine's validation.
struct FaultySite: SiteConnection {
    enum Fault: Sendable { case throwsError, nonFinite, wrongShape, oversized, slow, refusesEverything }
    let name: String
    let fault: Fault
    let inner: InMemorySite

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates {
        if fault == .refusesEverything { throw SiteError(.refused, site: name, "outside this site's policy") }
        return try await inner.aggregates(schema: schema, noise: noise)
    }

    func train(_ task: TrainingTask) async throws -> SiteUpdate {
        switch fault {
        case .throwsError:
            throw SiteError(.failed, site: name, "disk on fire")
        case .refusesEverything:
            throw SiteError(.refused, site: name, "outside this site's policy")
        case .nonFinite:
            var update = try await inner.train(task)
            update.delta[0] = .nan
            return update
        case .wrongShape:
            var update = try await inner.train(task)
            update.delta.append(0)
            return update
        case .oversized:
            var update = try await inner.train(task)
            update.delta = update.delta.map { $0 * 1e6 + 1 }
            return update
        case .slow:
            try await Task.sleep(nanoseconds: 3_000_000_000)
            return try await inner.train(task)
        }
    }

    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation { try await inner.evaluate(task) }
}

/// A site that notes the learning rate of every training task it gets.
final class RecordingSite: SiteConnection, @unchecked Sendable {
    let inner: InMemorySite
    private let lock = NSLock()
    private var rates: [Float] = []
    var name: String { inner.name }
    var learningRates: [Float] { lock.withLock { rates } }

    init(inner: InMemorySite) { self.inner = inner }

    func aggregates(schema: Schema, noise: PreprocessingNoise?) async throws -> FeatureAggregates { try await inner.aggregates(schema: schema, noise: noise) }
    func train(_ task: TrainingTask) async throws -> SiteUpdate {
        lock.withLock { rates.append(task.local.learningRate) }
        return try await inner.train(task)
    }
    func evaluate(_ task: TrainingTask) async throws -> SiteEvaluation { try await inner.evaluate(task) }
}
