@testable import CohortFederation
import Foundation
import Testing

/// Paths of the package, found from this file's own location.
enum PlanTestPaths {
    /// The package root: the nearest folder above this file holding `Package.swift`.
    static let root: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
            folder.deleteLastPathComponent()
        }
        preconditionFailure("no Package.swift above \(#filePath)")
    }()

    static var models: URL { root.appendingPathComponent("Models") }
    static var examples: URL { root.appendingPathComponent("Examples") }
    static var datasets: URL { root.appendingPathComponent("Datasets") }
}

/// The `PlanError` that parsing `yaml` throws, or a recorded failure.
func planError(
    _ yaml: String, baseDirectory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation
) -> PlanError? {
    do {
        let plan = try Plan.parse(yaml: yaml, source: "plan.yaml", baseDirectory: baseDirectory)
        Issue.record("expected a PlanError, but the plan parsed: \(plan)", sourceLocation: sourceLocation)
    } catch {
        return error
    }
    return nil
}

/// A folder of its own under the temporary directory, for a test's files.
func temporaryPlanFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-plan-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// The minimal plan of the issue, with `label` for the bundled data.
let minimalPlanYAML = """
    name: first-run
    model: logistic-regression
    label: target
    rounds: 30
    sites:
      - {name: hospital-a, data: a.csv}
      - {name: hospital-b, data: b.csv}
    """
